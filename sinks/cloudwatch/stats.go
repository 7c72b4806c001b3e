package cloudwatch

import (
	"errors"
	"sync/atomic"
	"time"

	"github.com/aws/smithy-go"

	"github.com/corral-logs/corral/pipeline"
)

// Outcome is how a request ended, for metrics.
type Outcome int

// Outcomes of a request.
const (
	OutcomeOK Outcome = iota
	OutcomeThrottled
	OutcomeServerError
	OutcomeNetwork
	OutcomeAuth
	OutcomeNotFound
	OutcomeInvalid
	numOutcomes
)

// OutcomeNames are the metric label values of the outcomes, by Outcome.
var OutcomeNames = [numOutcomes]string{"ok", "throttled", "server_error", "network", "auth", "not_found", "invalid"}

// Reason is why an event was dropped instead of delivered.
type Reason int

// Reasons an event is dropped.
const (
	ReasonTooOld  Reason = iota // older than the service accepts
	ReasonTooNew                // too far in the future
	ReasonExpired               // older than the group's retention
	ReasonInvalid               // refused as invalid on its own
	numReasons
)

// ReasonNames are the metric label values of the reasons, by Reason.
var ReasonNames = [numReasons]string{"too_old", "too_new", "expired", "invalid"}

// LatencyBuckets are the upper bounds, in seconds, of the request latency
// histogram: the conventional Prometheus default buckets.
var LatencyBuckets = [...]float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Stats counts what the sink did.
type Stats struct {
	Requests   [numOutcomes]atomic.Int64
	Dropped    [numReasons]atomic.Int64
	EventsSent atomic.Int64
	BytesSent  atomic.Int64 // message bytes of delivered events
	WireBytes  atomic.Int64 // PutLogEvents bodies as sent (gzip or not), every attempt
	Retries    atomic.Int64
	// Latency of PutLogEvents attempts: counts per bucket of
	// LatencyBuckets (the last one past them all), and the sum in
	// microseconds.
	Latency    [len(LatencyBuckets) + 1]atomic.Int64
	LatencySum atomic.Int64
}

// observe records one request's latency.
func (st *Stats) observe(d time.Duration) {
	secs := d.Seconds()
	i := 0
	for i < len(LatencyBuckets) && secs > LatencyBuckets[i] {
		i++
	}
	st.Latency[i].Add(1)
	st.LatencySum.Add(d.Microseconds())
}

func (st *Stats) request(o Outcome) { st.Requests[o].Add(1) }

// drop counts n events of dest dropped for reason.
func (s *Sink) drop(_ pipeline.Dest, reason Reason, n int) {
	if n > 0 {
		s.Stats.Dropped[reason].Add(int64(n))
	}
}

// outcomeOf names the outcome of a failed attempt.
func outcomeOf(err error) Outcome {
	var ae *APIError
	var c class
	switch {
	case errors.As(err, &ae):
		c = classify(ae)
	case errors.As(err, new(*credentialsError)) || classifySDK(err) == classAuth:
		return OutcomeAuth
	case errors.As(err, new(smithy.APIError)):
		c = classifySDK(err)
	default:
		return OutcomeNetwork
	}
	switch c {
	case classThrottle:
		return OutcomeThrottled
	case classAuth:
		return OutcomeAuth
	case classNotFound:
		return OutcomeNotFound
	case classInvalid:
		return OutcomeInvalid
	}
	return OutcomeServerError
}
