package s3

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/corral-logs/corral/pipeline"
)

// TestThreeWorkersShareQueue runs three sources on one queue, as three
// agents would, with delivery slower than the visibility timeout: every
// object is read by exactly one of them, once, and every event arrives
// once, because each keeps its messages invisible while it works.
func TestThreeWorkersShareQueue(t *testing.T) {
	e := newEnv(t, 5)
	bucket := e.bucket("scale")
	const objects, lines = 12, 200
	for i := range objects {
		var b strings.Builder
		for j := range lines {
			fmt.Fprintf(&b, "object %d line %d\n", i, j)
		}
		key := fmt.Sprintf("logs/%02d.log", i)
		e.put(bucket, key, []byte(b.String()))
		e.notify(bucket, key)
	}

	sk := newSink(t)
	sk.delay = 2500 * time.Millisecond // longer than the visibility timeout
	h := newHarness(t, sk, pipeline.Options{Concurrency: 16})
	const visibility = 2 * time.Second
	var srcs []*Source
	for i := range 3 {
		srcs = append(srcs, h.start(e, Options{
			Name: fmt.Sprintf("worker-%d", i), Format: Lines, Workers: 1, VisibilityTimeout: visibility,
		}))
	}
	deleted := func() int64 {
		n := int64(0)
		for _, s := range srcs {
			n += s.Stats.MessagesDeleted.Load()
		}
		return n
	}
	waitFor(t, 40*time.Second, "every message deleted", func() bool { return deleted() == objects })
	h.stop()

	var received []int64
	for _, s := range srcs {
		received = append(received, s.Stats.MessagesReceived.Load())
	}
	t.Logf("messages received per worker: %v", received)
	for i := range objects {
		stream := fmt.Sprintf("%s/logs/%02d.log", bucket, i)
		if n := h.reads.count(stream); n != 1 {
			t.Errorf("%s read %d times, want once", stream, n)
		}
		evs := sk.events(stream)
		seen := map[string]bool{}
		for _, ev := range evs {
			if seen[ev.Msg] {
				t.Errorf("%s: %q delivered twice", stream, ev.Msg)
			}
			seen[ev.Msg] = true
		}
		if len(seen) != lines {
			t.Errorf("%s: %d distinct events, want %d", stream, len(seen), lines)
		}
	}
	if got := deleted(); got != objects {
		t.Errorf("messages deleted = %d, want %d", got, objects)
	}
	if v, n := e.depth(e.queue); v+n != 0 {
		t.Errorf("queue holds %d visible and %d in-flight messages, want none", v, n)
	}
}

// TestStopReturnsUnfinishedMessages stops a source while its events wait
// for delivery: the message is not deleted, and Commit makes it visible at
// once for another agent, instead of after the visibility timeout.
func TestStopReturnsUnfinishedMessages(t *testing.T) {
	e := newEnv(t, 5)
	bucket := e.bucket("stop")
	e.put(bucket, "logs/a.log", []byte("one\ntwo\n"))
	e.notify(bucket, "logs/a.log")

	sk := newSink(t)
	sk.delay = time.Hour // CloudWatch does not answer
	h := newHarness(t, sk, pipeline.Options{})
	h.drainLimit = 100 * time.Millisecond
	src := h.start(e, Options{Format: Lines, VisibilityTimeout: 30 * time.Second})
	waitFor(t, 20*time.Second, "the object read", func() bool { return src.Stats.ObjectsRead.Load() == 1 })
	h.stop()

	if n := src.Stats.MessagesDeleted.Load(); n != 0 {
		t.Errorf("messages deleted = %d, want 0: the events were not delivered", n)
	}
	if v, n := e.depth(e.queue); v != 1 || n != 0 {
		t.Errorf("queue holds %d visible and %d in-flight messages, want 1 visible", v, n)
	}
}

// TestBatchWaitingForWorkersStaysInvisible has a source receive more
// messages at once than it has workers (a receive takes up to twice as
// many) while reading waits for slow delivery, and starts a second source
// on the queue: the messages that wait for a worker are kept invisible
// too, so none returns to the queue and is read by both.
func TestBatchWaitingForWorkersStaysInvisible(t *testing.T) {
	e := newEnv(t, 5)
	bucket := e.bucket("batch")
	const objects, lines = 4, 1000
	for i := range objects {
		var b strings.Builder
		for j := range lines {
			fmt.Fprintf(&b, "object %d line %04d %s\n", i, j, strings.Repeat("x", 80))
		}
		key := fmt.Sprintf("logs/%02d.log", i)
		e.put(bucket, key, []byte(b.String()))
		e.notify(bucket, key)
	}

	// Each object is about 100 KB; with a 32 KiB budget and a slow sink,
	// the two workers read for longer than the visibility timeout.
	sk := newSink(t)
	sk.delay = 250 * time.Millisecond
	h := newHarness(t, sk, pipeline.Options{MaxBytes: 32 << 10, Concurrency: 1})
	opts := Options{Format: Lines, Workers: 2, VisibilityTimeout: time.Second, GroupBytes: 16 << 10}
	first := h.start(e, opts)
	waitFor(t, 10*time.Second, "the four messages received", func() bool { return first.Stats.MessagesReceived.Load() == objects })
	opts.Name, opts.Workers = "other", 1
	second := h.start(e, opts)
	waitFor(t, 30*time.Second, "every object read and the queue empty", func() bool {
		for i := range objects {
			if h.reads.count(fmt.Sprintf("%s/logs/%02d.log", bucket, i)) == 0 {
				return false
			}
		}
		v, n := e.depth(e.queue)
		return v+n == 0
	})
	h.stop()

	if n := first.Stats.MessagesReceived.Load() + second.Stats.MessagesReceived.Load(); n != objects {
		t.Errorf("messages received = %d, want %d: one returned to the queue while it waited for a worker", n, objects)
	}
	for i := range objects {
		stream := fmt.Sprintf("%s/logs/%02d.log", bucket, i)
		if n := h.reads.count(stream); n != 1 {
			t.Errorf("%s read %d times, want once", stream, n)
		}
		if n := len(sk.events(stream)); n != lines*h.reads.count(stream) {
			t.Errorf("%s: %d events, want %d", stream, n, lines)
		}
	}
}
