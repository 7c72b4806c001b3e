package agent

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/corral-logs/corral/sinks/cloudwatch"
	"github.com/corral-logs/corral/sources/file"
	"github.com/corral-logs/corral/sources/s3"
)

// collector exposes the agent's counters to Prometheus. It reads the
// atomic counters the pipeline, sources and sinks keep anyway, at scrape
// time, so metrics cost nothing per event.
type collector struct {
	a *Agent
}

// Metric descriptions. Names follow Prometheus conventions: a corral_
// prefix, _total for counters, base units.
var (
	descBuild = prometheus.NewDesc("corral_build_info",
		"corral's version; always 1.", []string{"version"}, nil)
	descRead = prometheus.NewDesc("corral_events_read_total",
		"Events a source read and handed to the pipeline.", []string{"source"}, nil)
	descReadBytes = prometheus.NewDesc("corral_bytes_read_total",
		"Message bytes of the events read.", []string{"source"}, nil)
	descLag = prometheus.NewDesc("corral_checkpoint_lag_events",
		"Events read and not yet delivered, so not yet committed to the checkpoint.", []string{"source"}, nil)
	descSent = prometheus.NewDesc("corral_events_sent_total",
		"Events CloudWatch Logs accepted.", nil, nil)
	descSentBytes = prometheus.NewDesc("corral_bytes_sent_total",
		"Message bytes of the events CloudWatch Logs accepted.", nil, nil)
	descDropped = prometheus.NewDesc("corral_events_dropped_total",
		"Events not delivered, by reason: too_old, too_new, expired, invalid (the service's), "+
			"filtered (include_lines, exclude_lines), empty, too_large.", []string{"reason"}, nil)
	descUnparsed = prometheus.NewDesc("corral_events_unparsed_total",
		"Events the parser could not read, shipped as they were.", []string{"source"}, nil)
	descFallback = prometheus.NewDesc("corral_events_fallback_total",
		"Events routed to a fallback group or stream for lack of a field.", []string{"source"}, nil)
	descCut = prometheus.NewDesc("corral_events_cut_total",
		"Lines or messages longer than max_event_bytes, by how they were cut: split or truncated.",
		[]string{"how"}, nil)
	descRedacted = prometheus.NewDesc("corral_redactions_total",
		"Secrets redacted, by rule.", []string{"rule"}, nil)
	descRequests = prometheus.NewDesc("corral_requests_total",
		"PutLogEvents attempts by outcome: ok, throttled, server_error, network, auth, not_found, invalid.",
		[]string{"outcome"}, nil)
	descRetries = prometheus.NewDesc("corral_request_retries_total",
		"PutLogEvents attempts that failed and were tried again.", nil, nil)
	descLatency = prometheus.NewDesc("corral_request_duration_seconds",
		"Time of PutLogEvents attempts.", nil, nil)
	descBudgetUsed = prometheus.NewDesc("corral_buffer_used_bytes",
		"Bytes of the byte budget held by events between reading and delivery.", nil, nil)
	descBudgetLimit = prometheus.NewDesc("corral_buffer_limit_bytes",
		"The byte budget for events (buffer.max_bytes less the share of request bodies).", nil, nil)
	descFiles = prometheus.NewDesc("corral_files_watched",
		"Files a file source follows.", []string{"source"}, nil)
	descOpen = prometheus.NewDesc("corral_files_open",
		"File descriptors a file source holds.", []string{"source"}, nil)
	descS3Messages = prometheus.NewDesc("corral_s3_messages_total",
		"SQS messages of an s3 source by outcome: received, deleted, bad, ignored.",
		[]string{"source", "outcome"}, nil)
	descS3Objects = prometheus.NewDesc("corral_s3_objects_total",
		"S3 objects of an s3 source by outcome: read, failed, skipped.", []string{"source", "outcome"}, nil)
	descHealthy = prometheus.NewDesc("corral_healthy",
		"1 while delivery keeps up: events waiting were delivered within server.unhealthy_after.", nil, nil)
)

// Describe sends every description.
func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descBuild, descRead, descReadBytes, descLag, descSent, descSentBytes,
		descDropped, descUnparsed, descFallback, descCut, descRedacted, descRequests, descRetries, descLatency,
		descBudgetUsed, descBudgetLimit, descFiles, descOpen, descS3Messages, descS3Objects, descHealthy} {
		ch <- d
	}
}

// Collect sends the current values.
func (c collector) Collect(ch chan<- prometheus.Metric) {
	a := c.a
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...)
	}
	gauge(descBuild, 1, a.version)

	counts := a.Counts()
	names, sources, procs := a.snapshot()
	for _, name := range names {
		st := a.pipe.Source(name)
		events, done := st.Events.Load(), st.Done.Load()
		counter(descRead, events, name)
		counter(descReadBytes, st.Bytes.Load(), name)
		gauge(descLag, max(events-done, 0), name)
		if ps := procs[name]; ps != nil {
			counter(descUnparsed, ps.ParseFailed.Load(), name)
			counter(descFallback, ps.Fallback.Load(), name)
		}
	}
	counter(descDropped, counts.Filtered, "filtered")
	counter(descDropped, counts.Empty, "empty")
	counter(descDropped, counts.TooLarge, "too_large")
	for _, reason := range cloudwatch.ReasonNames {
		counter(descDropped, counts.Dropped[reason], reason)
	}
	counter(descCut, counts.Split, "split")
	counter(descCut, counts.Truncated, "truncated")
	a.mu.Lock()
	red := a.redactor
	a.mu.Unlock()
	for _, rc := range red.Counts() {
		counter(descRedacted, rc.Redacted, rc.Rule)
	}
	c.collectSinks(ch, counter)

	gauge(descBudgetUsed, a.pipe.Budget().Used())
	gauge(descBudgetLimit, a.pipe.Budget().Max())
	for i, src := range sources {
		switch s := src.(type) {
		case *file.Source:
			gauge(descFiles, s.Stats.Files.Load(), names[i])
			gauge(descOpen, s.Stats.Open.Load(), names[i])
		case *s3.Source:
			n := names[i]
			counter(descS3Messages, s.Stats.MessagesReceived.Load(), n, "received")
			counter(descS3Messages, s.Stats.MessagesDeleted.Load(), n, "deleted")
			counter(descS3Messages, s.Stats.MessagesBad.Load(), n, "bad")
			counter(descS3Messages, s.Stats.MessagesIgnored.Load(), n, "ignored")
			counter(descS3Objects, s.Stats.ObjectsRead.Load(), n, "read")
			counter(descS3Objects, s.Stats.ObjectsFailed.Load(), n, "failed")
			counter(descS3Objects, s.Stats.ObjectsSkipped.Load(), n, "skipped")
		}
	}
	healthy := int64(0)
	if ok, _ := a.health.healthy(); ok {
		healthy = 1
	}
	gauge(descHealthy, healthy)
}

// collectSinks sends the delivery metrics, summed over the sinks.
func (c collector) collectSinks(ch chan<- prometheus.Metric, counter func(*prometheus.Desc, int64, ...string)) {
	var sent, bytes, retries, sumMicros int64
	var requests [len(cloudwatch.OutcomeNames)]int64
	var buckets [len(cloudwatch.LatencyBuckets) + 1]int64
	if c.a.sinks != nil {
		for _, s := range c.a.sinks.all() {
			st := &s.Stats
			sent += st.EventsSent.Load()
			bytes += st.BytesSent.Load()
			retries += st.Retries.Load()
			sumMicros += st.LatencySum.Load()
			for i := range requests {
				requests[i] += st.Requests[i].Load()
			}
			for i := range buckets {
				buckets[i] += st.Latency[i].Load()
			}
		}
	} else {
		sent = c.a.pipe.Stats.EventsOut.Load() // a dry run: printed
	}
	counter(descSent, sent)
	counter(descSentBytes, bytes)
	counter(descRetries, retries)
	for i, name := range cloudwatch.OutcomeNames {
		counter(descRequests, requests[i], name)
	}
	cumulative := make(map[float64]uint64, len(cloudwatch.LatencyBuckets))
	var total uint64
	for i, le := range cloudwatch.LatencyBuckets {
		total += uint64(buckets[i])
		cumulative[le] = total
	}
	total += uint64(buckets[len(buckets)-1])
	ch <- prometheus.MustNewConstHistogram(descLatency, total, float64(sumMicros)/1e6, cumulative)
}
