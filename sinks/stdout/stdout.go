// Package stdout is the sink of a dry run: it prints each event it would
// send, as one JSON object per line, and acknowledges it. An event that
// CloudWatch Logs would refuse for its time is printed with the reason
// the real sink would drop it for.
package stdout

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/corral-logs/corral/pipeline"
)

// Sink writes events to a writer. It is safe for concurrent use.
type Sink struct {
	now func() time.Time

	mu  sync.Mutex
	w   *bufio.Writer // guarded by mu
	err error         // guarded by mu: the first write error
}

// New returns a sink that writes to w.
func New(w io.Writer) *Sink { return &Sink{w: bufio.NewWriter(w), now: time.Now} }

// line is one printed event.
type line struct {
	Group     string `json:"log_group"`
	Stream    string `json:"log_stream"`
	Timestamp string `json:"timestamp"`
	Message   string `json:"message"`
	WouldDrop string `json:"would_drop,omitempty"` // too_old or too_new: outside the service's window
}

// Send prints the request's events in read order. A write error (a
// closed pipe, say) ends the dry run.
func (s *Sink) Send(_ context.Context, r *pipeline.Request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	enc := json.NewEncoder(s.w)
	enc.SetEscapeHTML(false)
	now := s.now()
	oldest := now.Add(-pipeline.MaxPastAge).UnixMilli()
	newest := now.Add(pipeline.MaxFutureSkew).UnixMilli()
	r.Each(func(ts int64, msg []byte) {
		if s.err != nil {
			return
		}
		l := line{
			Group:     r.Dest.Group,
			Stream:    r.Dest.Stream,
			Timestamp: time.UnixMilli(ts).UTC().Format("2006-01-02T15:04:05.000Z07:00"),
			Message:   string(msg),
		}
		switch {
		case ts < oldest:
			l.WouldDrop = "too_old"
		case ts > newest:
			l.WouldDrop = "too_new"
		}
		s.err = enc.Encode(l)
	})
	if s.err == nil {
		s.err = s.w.Flush()
	}
	return s.err
}
