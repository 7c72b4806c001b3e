// Package cloudwatch delivers the pipeline's requests to CloudWatch Logs:
// it sorts and encodes events, drops those the service would refuse for
// their age, creates missing groups and streams, and retries everything
// else until it is accepted.
package cloudwatch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"go.uber.org/zap"

	"github.com/corral-logs/corral/internal/retry"
	"github.com/corral-logs/corral/pipeline"
)

// Options configure a Sink. A zero value means the default.
type Options struct {
	// AWS gives the region and credentials (already wrapped for the role
	// in the logs account, if any).
	AWS aws.Config
	// Endpoint overrides the service URL (VPC endpoints, emulators).
	// Default: the regional endpoint of AWS.Region.
	Endpoint string
	// Concurrency is how many requests may be in flight; it sizes the
	// connection pool. Default 8.
	Concurrency int
	// Bodies bounds the memory of request bodies being sent, shared by
	// every sink of the agent: a body waits for room before it goes out.
	// Default: a budget of Concurrency requests of the largest size.
	Bodies *pipeline.Budget
	// Group is what the sink sets on log groups it creates.
	Group GroupSettings
	// Retry is the backoff for failed requests.
	Retry retry.Policy
	// Log receives the sink's own logs. Default: none.
	Log *zap.Logger
	// Now is the clock that decides which events are too old or too new.
	// Default time.Now.
	Now func() time.Time
	// UserAgent is sent with every request. Default "corral".
	UserAgent string
	// Compression is how bodies go on the wire. Default (zero)
	// CompressionGzip.
	Compression Compression
}

// Sink sends requests to CloudWatch Logs. It is safe for concurrent use.
type Sink struct {
	api    *api
	sdk    *cloudwatchlogs.Client
	limit  *limiter
	bodies *pipeline.Budget // memory of the bodies in flight
	opts   Options
	log    *zap.Logger
	Stats  Stats

	scratch sync.Pool // of *scratch

	managed        sync.Map // group name -> struct{}: retention set once
	unsetRetention sync.Map // group name -> struct{}: created, retention still to set

	statusMu sync.Mutex
	status   Status                  // guarded by statusMu
	runs     map[pipeline.Dest]int64 // guarded by statusMu: failed attempts of failing streams
}

// Status is whether delivery is failing, for health checks and metrics.
type Status struct {
	Failing bool      // the latest attempt failed
	Since   time.Time // when the current run of failures began
	Auth    bool      // the latest failure was refused credentials or access
	Err     string    // the latest failure
}

// Status reports how delivery stands.
func (s *Sink) Status() Status {
	s.statusMu.Lock()
	defer s.statusMu.Unlock()
	return s.status
}

// BodyReserve is the memory to set aside per request in flight: a full
// request's body with room for JSON escaping.
const BodyReserve = pipeline.MaxRequestBytes * 5 / 4

// scratch is the memory one Send reuses.
type scratch struct {
	events []event
	wire   appender // the body as sent
	chunk  []byte   // JSON waiting for the compressor
}

// New returns a sink for the region and credentials in opts.
func New(ctx context.Context, opts Options) (*Sink, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = pipeline.DefaultConcurrency
	}
	if opts.Bodies == nil {
		opts.Bodies = pipeline.NewBudget(int64(opts.Concurrency) * BodyReserve)
	}
	if opts.Log == nil {
		opts.Log = zap.NewNop()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "corral"
	}
	if opts.Compression == "" {
		opts.Compression = CompressionGzip
	}
	endpoint := opts.Endpoint
	if endpoint == "" {
		ep, err := cloudwatchlogs.NewDefaultEndpointResolverV2().ResolveEndpoint(ctx,
			cloudwatchlogs.EndpointParameters{Region: aws.String(opts.AWS.Region)})
		if err != nil {
			return nil, fmt.Errorf("resolve endpoint for region %q: %w", opts.AWS.Region, err)
		}
		endpoint = ep.URI.String()
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = opts.Concurrency * 2
	transport.ResponseHeaderTimeout = 60 * time.Second
	transport.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	hc := &http.Client{Transport: transport}

	sdk := cloudwatchlogs.NewFromConfig(opts.AWS, func(o *cloudwatchlogs.Options) {
		if opts.Endpoint != "" {
			o.BaseEndpoint = aws.String(opts.Endpoint)
		}
	})
	return &Sink{
		api: &api{
			http:      hc,
			endpoint:  endpoint,
			region:    opts.AWS.Region,
			creds:     opts.AWS.Credentials,
			signer:    v4.NewSigner(),
			userAgent: opts.UserAgent,
		},
		sdk:     sdk,
		limit:   newLimiter(opts.Concurrency),
		bodies:  opts.Bodies,
		opts:    opts,
		log:     opts.Log,
		scratch: sync.Pool{New: func() any { return new(scratch) }},
	}, nil
}

// Send delivers r. It returns nil once every event was accepted or
// dropped for a counted reason, and an error only when ctx ends first.
func (s *Sink) Send(ctx context.Context, r *pipeline.Request) error {
	sc := s.scratch.Get().(*scratch)
	defer s.scratch.Put(sc)

	sc.events = collect(sc.events[:0], r)
	evs := s.inWindow(sc.events, r.Dest)
	if len(evs) == 0 {
		return nil
	}
	s.manageRetention(ctx, r.Dest.Group)
	return s.put(ctx, r.Dest, evs, sc)
}

// inWindow drops, and counts, the events the service would refuse for
// their age. evs is sorted, so they are a prefix and a suffix.
func (s *Sink) inWindow(evs []event, dest pipeline.Dest) []event {
	now := s.opts.Now()
	oldest := now.Add(-pipeline.MaxPastAge).UnixMilli()
	newest := now.Add(pipeline.MaxFutureSkew).UnixMilli()
	lo, hi := 0, len(evs)
	for lo < hi && evs[lo].ts < oldest {
		lo++
	}
	for hi > lo && evs[hi-1].ts > newest {
		hi--
	}
	if lo > 0 || hi < len(evs) {
		s.drop(dest, ReasonTooOld, lo)
		s.drop(dest, ReasonTooNew, len(evs)-hi)
		s.log.Warn("events outside the service's time window, dropped",
			zap.String("log_group", dest.Group), zap.String("log_stream", dest.Stream),
			zap.Int("too_old", lo), zap.Int("too_new", len(evs)-hi))
	}
	return evs[lo:hi]
}

// put sends evs, sorted and in the window, until they are accepted.
func (s *Sink) put(ctx context.Context, dest pipeline.Dest, evs []event, sc *scratch) error {
	bo := retry.NewBackoff(s.opts.Retry)
	gzipped := s.encode(sc, dest, evs)
	for {
		answer, err := s.attempt(ctx, sc.wire.b, gzipped)
		if err == nil {
			s.accepted(dest, evs, answer)
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}

		var ae *APIError
		if errors.As(err, &ae) {
			switch classify(ae) {
			case classNotFound:
				s.Stats.request(OutcomeNotFound)
				if err = s.create(ctx, dest); err == nil {
					continue
				}
			case classInvalid:
				s.Stats.request(OutcomeInvalid)
				return s.isolate(ctx, dest, evs, sc, ae)
			case classAccepted:
				s.accepted(dest, evs, nil)
				return nil
			case classAuth:
				// Expired or revoked: the next attempt fetches new ones.
				if c, ok := s.api.creds.(*aws.CredentialsCache); ok {
					c.Invalidate()
				}
			}
		}
		s.Stats.request(outcomeOf(err))
		s.Stats.Retries.Add(1)
		s.failed(dest, err)
		if err := retry.Sleep(ctx, bo.Next(err)); err != nil {
			return err
		}
	}
}

// attempt sends one PutLogEvents body within the adaptive limit of
// requests in flight.
func (s *Sink) attempt(ctx context.Context, body []byte, gzipped bool) ([]byte, error) {
	held, err := s.bodies.Acquire(ctx, int64(cap(body)))
	if err != nil {
		return nil, err
	}
	defer s.bodies.Release(held)
	if err := s.limit.acquire(ctx); err != nil {
		return nil, err
	}
	start := time.Now()
	s.Stats.WireBytes.Add(int64(len(body)))
	answer, err := s.api.call(ctx, "PutLogEvents", body, gzipped)
	s.Stats.observe(time.Since(start))
	var ae *APIError
	throttled := errors.As(err, &ae) && classify(ae) == classThrottle
	s.limit.release(throttled, err == nil)
	return answer, err
}

// isolate splits a request the service refused as invalid, so that only
// the offending events are dropped. corral's batcher never builds such a
// request; this guards against a service stricter than its documentation.
func (s *Sink) isolate(ctx context.Context, dest pipeline.Dest, evs []event, sc *scratch, cause *APIError) error {
	if len(evs) == 1 {
		s.drop(dest, ReasonInvalid, 1)
		s.log.Warn("event refused as invalid, dropped",
			zap.String("log_group", dest.Group), zap.String("log_stream", dest.Stream),
			zap.Int("bytes", len(evs[0].msg)), zap.Error(cause))
		return nil
	}
	half := len(evs) / 2
	if err := s.put(ctx, dest, evs[:half], sc); err != nil {
		return err
	}
	return s.put(ctx, dest, evs[half:], sc)
}

// accepted counts a delivered request and the events the service refused
// one by one in its answer.
func (s *Sink) accepted(dest pipeline.Dest, evs []event, answer []byte) {
	s.Stats.request(OutcomeOK)
	s.statusMu.Lock()
	if attempts, ok := s.runs[dest]; ok {
		delete(s.runs, dest)
		if len(s.runs) == 0 {
			s.status = Status{}
		}
		s.log.Info("delivery resumed", zap.String("log_group", dest.Group), zap.String("log_stream", dest.Stream),
			zap.Int64("attempt", attempts))
	}
	s.statusMu.Unlock()
	rejected := 0
	if bytes.Contains(answer, []byte("rejectedLogEventsInfo")) {
		rejected = s.countRejected(dest, answer, len(evs))
	}
	s.Stats.EventsSent.Add(int64(len(evs) - rejected))
	var n int64
	for _, e := range evs {
		n += int64(len(e.msg))
	}
	if rejected > 0 {
		n = n * int64(len(evs)-rejected) / int64(len(evs)) // refused events, estimated at the average size
	}
	s.Stats.BytesSent.Add(n)
}

// countRejected counts the events an answer lists as refused and returns
// how many there were.
func (s *Sink) countRejected(dest pipeline.Dest, answer []byte, n int) int {
	var a struct {
		Info struct {
			TooNewStart *int `json:"tooNewLogEventStartIndex"`
			TooOldEnd   *int `json:"tooOldLogEventEndIndex"`
			ExpiredEnd  *int `json:"expiredLogEventEndIndex"`
		} `json:"rejectedLogEventsInfo"`
	}
	if err := json.Unmarshal(answer, &a); err != nil {
		return 0
	}
	clamp := func(i int) int { return min(max(i, 0), n) }
	// The service's end indexes are exclusive, so [0, end) was refused;
	// from the start index on, every event was too new.
	tooOld, expired, tooNew := 0, 0, 0
	if a.Info.ExpiredEnd != nil {
		expired = clamp(*a.Info.ExpiredEnd)
	}
	if a.Info.TooOldEnd != nil {
		tooOld = max(clamp(*a.Info.TooOldEnd)-expired, 0)
	}
	if a.Info.TooNewStart != nil {
		tooNew = n - clamp(*a.Info.TooNewStart)
	}
	s.drop(dest, ReasonExpired, expired)
	s.drop(dest, ReasonTooOld, tooOld)
	s.drop(dest, ReasonTooNew, tooNew)
	total := min(expired+tooOld+tooNew, n)
	if total > 0 {
		s.log.Warn("events refused by the service, dropped",
			zap.String("log_group", dest.Group), zap.String("log_stream", dest.Stream),
			zap.Int("events", total))
	}
	return total
}

// failed notes a failed attempt for a stream: the first of its run is
// logged, the rest only counted, until its delivery resumes. The sink's
// status is failing while any stream is.
func (s *Sink) failed(dest pipeline.Dest, err error) {
	auth := outcomeOf(err) == OutcomeAuth
	s.statusMu.Lock()
	if s.status.Since.IsZero() {
		s.status.Since = s.opts.Now()
	}
	s.status.Failing, s.status.Auth, s.status.Err = true, auth, err.Error()
	if s.runs == nil {
		s.runs = make(map[pipeline.Dest]int64)
	}
	attempts, running := s.runs[dest]
	s.runs[dest] = attempts + 1
	s.statusMu.Unlock()
	if running {
		return
	}
	log := s.log.Warn
	if auth {
		log = s.log.Error // a role or policy to fix: loud
	}
	log("delivery failing, retrying",
		zap.String("log_group", dest.Group), zap.String("log_stream", dest.Stream), zap.Error(err))
}
