package main

import (
	"hash/maphash"
	"sync/atomic"
	"time"

	"github.com/corral-logs/corral/internal/cwltest"
)

// tracker counts the events the fake accepted against the corpus. observe
// is the fake's OnEvent; it may run on any goroutine.
type tracker struct {
	corpus *corpus
	seen   []atomic.Uint32 // seen[seq]: deliveries of line seq, intact

	distinct atomic.Int64 // sequence numbers delivered at least once
	extra    atomic.Int64 // deliveries beyond the first
	corrupt  atomic.Int64 // events with no known sequence number, or not the line's bytes
	bytes    atomic.Int64 // message bytes of the distinct events
	last     atomic.Int64 // Unix ns when the latest new sequence number arrived

	done chan struct{} // closed when every sequence number arrived
}

func newTracker(c *corpus) *tracker {
	return &tracker{corpus: c, seen: make([]atomic.Uint32, len(c.hashes)), done: make(chan struct{})}
}

// observe counts one accepted event.
func (t *tracker) observe(_, _ string, ev cwltest.Event) {
	seq, ok := parseSeq(ev.Message)
	if !ok || seq >= len(t.seen) || maphash.String(hashSeed, ev.Message) != t.corpus.hashes[seq] {
		t.corrupt.Add(1)
		return
	}
	if t.seen[seq].Add(1) > 1 {
		t.extra.Add(1)
		return
	}
	t.bytes.Add(int64(len(ev.Message)))
	t.last.Store(time.Now().UnixNano())
	if t.distinct.Add(1) == int64(len(t.seen)) {
		close(t.done)
	}
}

// lastNew returns when the latest new sequence number arrived, or the zero
// time if none did.
func (t *tracker) lastNew() time.Time {
	ns := t.last.Load()
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}
