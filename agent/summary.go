package agent

import (
	"maps"
	"slices"

	"go.uber.org/zap"

	"github.com/corral-logs/corral/pipeline/process"
	"github.com/corral-logs/corral/sinks/cloudwatch"
	"github.com/corral-logs/corral/sources/file"
	"github.com/corral-logs/corral/sources/journald"
	"github.com/corral-logs/corral/sources/s3"
)

// Counts are what the agent did since it started. Every event read is
// delivered, dropped for a reason, or still on its way (undelivered at a
// shutdown timeout, read again at the next start).
type Counts struct {
	Read      int64            // events handed to the pipeline
	Delivered int64            // events CloudWatch accepted
	Dropped   map[string]int64 // events dropped, by reason
	Empty     int64            // empty lines and messages skipped (never events)
	Split     int64            // lines or messages shipped as several events
	Truncated int64            // lines or messages cut short
	Filtered  int64            // events dropped by include_lines or exclude_lines (never events)
	Unparsed  int64            // events the parser could not read, shipped as they were
	Fallback  int64            // events routed to a fallback name for lack of a field
	TooLarge  int64            // S3 records over max_event_bytes, dropped before reading (never events)
}

// Counts sums the sources' and sinks' counters.
func (a *Agent) Counts() Counts {
	c := Counts{Read: a.pipe.Stats.EventsIn.Load(), Dropped: make(map[string]int64)}
	var sinks []*cloudwatch.Sink
	if a.sinks != nil {
		sinks = a.sinks.all()
	} else {
		c.Delivered = a.pipe.Stats.EventsOut.Load() // a dry run: printed
	}
	_, sources, procs := a.snapshot()
	for _, ps := range procs {
		c.Filtered += ps.Filtered.Load()
		c.Unparsed += ps.ParseFailed.Load()
		c.Fallback += ps.Fallback.Load()
		c.Empty += ps.Empty.Load()
		c.Split += ps.Split.Load()
		c.Truncated += ps.Truncated.Load()
	}
	for _, s := range sinks {
		c.Delivered += s.Stats.EventsSent.Load()
		for r := range s.Stats.Dropped {
			if n := s.Stats.Dropped[r].Load(); n > 0 {
				c.Dropped[cloudwatch.ReasonNames[r]] += n
			}
		}
	}
	for _, src := range sources {
		switch s := src.(type) {
		case *file.Source:
			c.Empty += s.Stats.Empty.Load()
			c.Split += s.Stats.Split.Load()
			c.Truncated += s.Stats.Truncated.Load()
		case *journald.Source:
			c.Empty += s.Stats.Empty.Load()
			c.Split += s.Stats.Split.Load()
			c.Truncated += s.Stats.Truncated.Load()
		case *s3.Source:
			c.Empty += s.Stats.Empty.Load()
			c.Split += s.Stats.Split.Load()
			c.Truncated += s.Stats.Truncated.Load()
			c.Unparsed += s.Stats.ParseFailed.Load()
			c.TooLarge += s.Stats.Oversize.Load()
		}
	}
	return c
}

// snapshot returns the sources running now, safe to read while a reload
// changes them.
func (a *Agent) snapshot() ([]string, []Source, map[string]*process.Stats) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.names), slices.Clone(a.sources), maps.Clone(a.procStats)
}

// fields are the counts as log fields.
func (c Counts) fields() []zap.Field {
	fs := []zap.Field{zap.Int64("read", c.Read), zap.Int64("delivered", c.Delivered), zap.Int64("empty", c.Empty),
		zap.Int64("split", c.Split), zap.Int64("truncated", c.Truncated), zap.Int64("filtered", c.Filtered),
		zap.Int64("unparsed", c.Unparsed), zap.Int64("fallback", c.Fallback), zap.Int64("too_large", c.TooLarge)}
	for reason, n := range c.Dropped {
		fs = append(fs, zap.Int64("dropped_"+reason, n))
	}
	return fs
}
