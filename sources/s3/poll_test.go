package s3

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/corral-logs/corral/internal/shared"
	"github.com/corral-logs/corral/pipeline"
)

// TestPollReadsLateKeysOnce lists a prefix: keys delivered later that sort
// before those already read are read, every key once, a corrupt object is
// tried three times and given up, and a restart with the same state
// directory reads nothing again.
func TestPollReadsLateKeysOnce(t *testing.T) {
	e := newEnv(t, 1)
	bucket := e.bucket("poll")
	state := t.TempDir()
	e.put(bucket, "logs/b.log", []byte("b1\nb2\n"))
	e.put(bucket, "logs/d.log", []byte("d1\n"))
	e.put(bucket, "other/x.log", []byte("not under the prefix\n"))
	e.put(bucket, "logs/corrupt.log.gz", shared.ReadFile(t, shared.Case(t, "B41", "corrupt.log.gz")))

	poll := func() *Poll { return &Poll{Bucket: bucket, Prefix: "logs/", Interval: 50 * time.Millisecond} }
	sk := newSink(t)
	h := newHarness(t, sk, pipeline.Options{})
	src := h.start(e, Options{Format: Lines, Poll: poll(), StateDir: state})
	listings := func(s *Source, n int64) func() bool {
		return func() bool { return s.Stats.Listings.Load() >= n }
	}
	waitFor(t, 20*time.Second, "b and d read", func() bool { return sk.total() == 3 })

	// Late keys: one sorts before everything read, one between.
	e.put(bucket, "logs/a.log", []byte("a1\n"))
	e.put(bucket, "logs/c.log", []byte("c1\n"))
	waitFor(t, 20*time.Second, "a and c read", func() bool { return sk.total() == 5 })
	waitFor(t, 20*time.Second, "the corrupt object given up", func() bool {
		return src.Stats.ObjectsFailed.Load() == maxAttempts
	})
	seen := src.Stats.Listings.Load()
	waitFor(t, 20*time.Second, "three more listings", listings(src, seen+3))
	h.stop()

	for _, key := range []string{"a", "b", "c", "d"} {
		if n := h.reads.count(bucket + "/logs/" + key + ".log"); n != 1 {
			t.Errorf("%s read %d times, want once", key, n)
		}
	}
	if n := h.reads.count(bucket + "/logs/corrupt.log.gz"); n != maxAttempts {
		t.Errorf("corrupt object tried %d times, want %d", n, maxAttempts)
	}
	if n := h.reads.count(bucket + "/other/x.log"); n != 0 {
		t.Errorf("a key outside the prefix was read %d times", n)
	}
	if _, err := os.Stat(filepath.Join(state, "s3-s3-test.json")); err != nil {
		t.Errorf("state not saved: %v", err)
	}

	// A restart remembers every key.
	h2 := newHarness(t, newSink(t), pipeline.Options{})
	src2 := h2.start(e, Options{Format: Lines, Poll: poll(), StateDir: state})
	waitFor(t, 20*time.Second, "two listings", listings(src2, 2))
	h2.stop()
	if n := src2.Stats.ObjectsRead.Load() + src2.Stats.ObjectsFailed.Load(); n != 0 {
		t.Errorf("after a restart %d objects were read again", n)
	}

	// Outside the window (a clock two days on) keys are neither read nor
	// kept.
	h3 := newHarness(t, newSink(t), pipeline.Options{})
	later := func() time.Time { return time.Now().Add(48 * time.Hour) }
	e.put(bucket, "logs/e.log", []byte("e1\n"))
	src3 := h3.start(e, Options{Format: Lines, Poll: poll(), StateDir: state, Now: later})
	waitFor(t, 20*time.Second, "two listings", listings(src3, 2))
	h3.stop()
	if n := src3.Stats.ObjectsRead.Load(); n != 0 {
		t.Errorf("%d objects older than the window read", n)
	}
	if n := len(src3.poll.keys); n != 0 {
		t.Errorf("%d keys older than the window kept", n)
	}
}
