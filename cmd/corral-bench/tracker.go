package main

import (
	"hash/maphash"
	"slices"
	"sync/atomic"
	"time"

	"github.com/corral-logs/corral/internal/cwltest"
)

// tracker counts the events the fake accepted against the corpus. observe
// is the fake's OnEvent: the fake serializes its calls.
type tracker struct {
	corpus *corpus
	seen   []atomic.Uint32 // seen[seq]: deliveries of line seq, intact
	delays []int64         // delays[seq]: ns from writing line seq to its first acceptance; 0 if not timed

	distinct atomic.Int64 // sequence numbers delivered at least once
	extra    atomic.Int64 // deliveries beyond the first
	corrupt  atomic.Int64 // events with no known sequence number, or not the line's bytes
	bytes    atomic.Int64 // message bytes of the distinct events
	last     atomic.Int64 // Unix ns when the latest new sequence number arrived

	recovered atomic.Int64 // Unix ns when the endpoint came back from an outage, or 0
	resumed   atomic.Int64 // Unix ns of the first acceptance after recovered, or 0

	done chan struct{} // closed when every sequence number arrived
}

func newTracker(c *corpus) *tracker {
	n := len(c.hashes)
	return &tracker{corpus: c, seen: make([]atomic.Uint32, n), delays: make([]int64, n),
		done: make(chan struct{})}
}

// observe counts one accepted event.
func (t *tracker) observe(_, _ string, ev cwltest.Event) {
	now := time.Now().UnixNano()
	if r := t.recovered.Load(); r != 0 && t.resumed.Load() == 0 {
		t.resumed.Store(now)
	}
	seq, written, ok := parseSeq(ev.Message)
	if !ok || seq >= len(t.seen) || maphash.String(hashSeed, ev.Message) != t.corpus.hashes[seq].Load() {
		t.corrupt.Add(1)
		return
	}
	if t.seen[seq].Add(1) > 1 {
		t.extra.Add(1)
		return
	}
	if written != 0 {
		t.delays[seq] = max(now-written, 1)
	}
	t.bytes.Add(int64(len(ev.Message)))
	t.last.Store(now)
	if t.distinct.Add(1) == int64(len(t.seen)) {
		close(t.done)
	}
}

// markRecovered notes that the endpoint came back now.
func (t *tracker) markRecovered() { t.recovered.Store(time.Now().UnixNano()) }

// resumeDelay is how long after recovery the first event was accepted, or
// -1 when there was no outage or nothing came after it.
func (t *tracker) resumeDelay() time.Duration {
	r, first := t.recovered.Load(), t.resumed.Load()
	if r == 0 || first == 0 {
		return -1
	}
	return time.Duration(first - r)
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

// delayQuantiles returns the p50 and p99 delays of the timed lines, or
// -1s when none was timed. Call it once deliveries stopped.
func (t *tracker) delayQuantiles() (p50, p99 time.Duration) {
	var ds []int64
	for _, d := range t.delays {
		if d != 0 {
			ds = append(ds, d)
		}
	}
	if len(ds) == 0 {
		return -1, -1
	}
	slices.Sort(ds)
	at := func(q float64) time.Duration { return time.Duration(ds[int(q*float64(len(ds)-1))]) }
	return at(0.50), at(0.99)
}
