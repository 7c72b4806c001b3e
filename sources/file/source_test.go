package file

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
	"go.uber.org/zap/zaptest"

	"github.com/corral-logs/corral/parsers/frame"
	"github.com/corral-logs/corral/pipeline"
	"github.com/corral-logs/corral/pipeline/process"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// memSink stores delivered messages, and their timestamps, per stream.
type memSink struct {
	mu     sync.Mutex
	events map[string][]string // guarded by mu; stream -> messages
	times  map[string][]int64  // guarded by mu; stream -> timestamps
}

func (m *memSink) Send(_ context.Context, r *pipeline.Request) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.events == nil {
		m.events = make(map[string][]string)
		m.times = make(map[string][]int64)
	}
	r.Each(func(ts int64, msg []byte) {
		m.events[r.Dest.Stream] = append(m.events[r.Dest.Stream], string(msg))
		m.times[r.Dest.Stream] = append(m.times[r.Dest.Stream], ts)
	})
	return nil
}

func (m *memSink) stream(name string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.events[name])
}

func (m *memSink) all() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, evs := range m.events {
		out = append(out, evs...)
	}
	slices.Sort(out)
	return out
}

// harness runs one source and a pipeline over a temp dir, and can stop and
// restart them like the agent does.
type harness struct {
	t     *testing.T
	dir   string
	state string
	sink  *memSink
	opts  Options

	cancel   context.CancelFunc
	done     chan struct{}
	src      *Source
	pipe     *pipeline.Pipeline
	pipeDone chan error
}

func newHarness(t *testing.T, configure func(*Options)) *harness {
	h := &harness{t: t, dir: t.TempDir(), state: t.TempDir(), sink: &memSink{}}
	h.opts = Options{
		Name:               "test",
		Paths:              []string{filepath.Join(h.dir, "*.log")},
		PartialLineTimeout: 5 * time.Second,
		ScanInterval:       100 * time.Millisecond,
		StateDir:           h.state,
		Oversize:           frame.Split,
		Process: func(path string) *process.Processor {
			return process.Fixed("test", pipeline.Dest{Group: "g", Stream: filepath.Base(path)})
		},
		Log: zaptest.NewLogger(t),
	}
	if configure != nil {
		configure(&h.opts)
	}
	t.Cleanup(func() {
		if h.cancel != nil {
			h.stop()
		}
	})
	return h
}

func (h *harness) start() {
	h.t.Helper()
	h.pipe = pipeline.New(h.sink, pipeline.Options{FlushInterval: 10 * time.Millisecond})
	opts := h.opts
	opts.Pipeline = h.pipe
	src, err := New(opts)
	if err != nil {
		h.t.Fatal(err)
	}
	h.src = src
	h.pipeDone = make(chan error, 1)
	go func() { h.pipeDone <- h.pipe.Run(context.Background()) }()
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan struct{})
	go func() {
		defer close(h.done)
		if err := src.Run(ctx); err != nil {
			h.t.Errorf("source run: %v", err)
		}
	}()
	<-src.Ready()
}

// stop shuts down like SIGTERM: stop reading, drain, commit.
func (h *harness) stop() {
	h.t.Helper()
	h.cancel()
	<-h.done
	h.pipe.CloseInput()
	if err := <-h.pipeDone; err != nil {
		h.t.Errorf("pipeline: %v", err)
	}
	if err := h.src.Commit(); err != nil {
		h.t.Errorf("commit: %v", err)
	}
	h.cancel = nil
}

func (h *harness) path(name string) string { return filepath.Join(h.dir, name) }

func (h *harness) write(name, data string) {
	h.t.Helper()
	if err := appendString(h.path(name), data); err != nil {
		h.t.Fatal(err)
	}
}

// appendString appends data to the file at path, creating it if needed.
func appendString(path, data string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// waitFor polls the delivered events of stream until they equal want, and
// fails loudly with a diff at the deadline.
func (h *harness) waitFor(stream string, want []string, within time.Duration) {
	h.t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := h.sink.stream(stream)
		if cmp.Equal(want, got) {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("stream %s after %v (-want +got):\n%s", stream, within, cmp.Diff(want, got))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitForSet is waitFor for streams fed by several files: each event once,
// in any interleaving that keeps each file's order (checked by the caller
// through want's per-file order being a subsequence).
func (h *harness) waitForSet(stream string, want []string, within time.Duration) {
	h.t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := h.sink.stream(stream)
		if len(got) >= len(want) {
			sorted := slices.Clone(got)
			slices.Sort(sorted)
			wantSorted := slices.Clone(want)
			slices.Sort(wantSorted)
			if diff := cmp.Diff(wantSorted, sorted); diff != "" {
				h.t.Fatalf("stream %s (-want +got, sorted):\n%s", stream, diff)
			}
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("stream %s after %v: %d of %d events", stream, within, len(got), len(want))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// never checks that stream still holds exactly want after d.
func (h *harness) stays(stream string, want []string, d time.Duration) {
	h.t.Helper()
	time.Sleep(d)
	if diff := cmp.Diff(want, h.sink.stream(stream)); diff != "" {
		h.t.Fatalf("stream %s changed (-want +got):\n%s", stream, diff)
	}
}

func lines(prefix string, from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("%s%05d-", prefix, i))
	}
	return out
}

func join(ls []string) string { return strings.Join(ls, "\n") + "\n" }

func TestTailsGrowthAndNewFiles(t *testing.T) {
	h := newHarness(t, nil)
	h.write("a.log", "one\ntwo\n")
	h.start()
	h.waitFor("a.log", []string{"one", "two"}, 5*time.Second)
	h.write("a.log", "three\r\n\nfour\n")
	h.waitFor("a.log", []string{"one", "two", "three", "four"}, 5*time.Second)

	// A file that appears later is found within 2 s.
	h.write("b.log", "late\n")
	h.waitFor("b.log", []string{"late"}, 2*time.Second)
	h.write("b.gz", "excluded by the glob\n")
	h.stays("b.gz", nil, 300*time.Millisecond)
}

// TestSteadyWriterIsReadInBatches checks that a file written every 10 ms
// is not read at every write: once it had data, its writes are left for
// its next check, minPoll later. Each read is one block, and a block's
// events share one timestamp (the read time, made later than the last
// block's), so distinct timestamps count reads.
func TestSteadyWriterIsReadInBatches(t *testing.T) {
	h := newHarness(t, nil)
	h.write("a.log", "first\n")
	h.start()
	h.waitFor("a.log", []string{"first"}, 5*time.Second)

	const writes = 60
	want := []string{"first"}
	for i := range writes {
		line := fmt.Sprintf("line %d", i)
		h.write("a.log", line+"\n")
		want = append(want, line)
		time.Sleep(10 * time.Millisecond)
	}
	h.waitFor("a.log", want, 5*time.Second)

	h.sink.mu.Lock()
	reads := len(slices.Compact(slices.Clone(h.sink.times["a.log"][1:])))
	h.sink.mu.Unlock()
	// 600 ms of writing is three or four checks 200 ms apart; a slow
	// machine that writes further apart gets a few more. A read per write
	// would be 60.
	if reads > writes/3 {
		t.Errorf("%d writes read in %d reads, want at most %d", writes, reads, writes/3)
	}
	t.Logf("%d writes read in %d reads", writes, reads)
}

// A write to a quiet file is seen within one hush of the watcher (see
// notify), up to minPoll, while other files of the source are written
// steadily: not after several, as when two busy files' hushes followed
// each other.
func TestQuietFileWokenBesideBusyOne(t *testing.T) {
	h := newHarness(t, nil)
	h.write("busy.log", "first\n")
	h.write("busy2.log", "first\n")
	h.write("quiet.log", "first\n")
	h.start()
	h.waitFor("quiet.log", []string{"first"}, 5*time.Second)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
				// Not h.write: its t.Fatal may not run off the test's goroutine.
				for _, name := range []string{"busy.log", "busy2.log"} {
					if err := appendString(h.path(name), fmt.Sprintf("busy %d\n", i)); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}
	})
	defer func() { close(stop); wg.Wait() }()
	time.Sleep(300 * time.Millisecond) // busy.log is read in batches by now

	// Writes 2.5 minPoll and more apart: quiet.log's check after a write
	// finds nothing more, so it is not taken for a steady writer.
	const writes = 8
	var delays []time.Duration
	for i := range writes {
		time.Sleep(minPoll*5/2 + time.Duration(i*37%97)*time.Millisecond) // at different points of busy.log's checks
		start := time.Now()
		h.write("quiet.log", fmt.Sprintf("quiet %d\n", i))
		for len(h.sink.stream("quiet.log")) < i+2 && time.Since(start) < 5*time.Second {
			time.Sleep(time.Millisecond)
		}
		delays = append(delays, time.Since(start))
	}
	slices.Sort(delays)
	t.Logf("quiet file's lines read after %v", delays)
	// One hush is up to minPoll, and the rest is reading and delivering:
	// two hushes in a row take more than 2*minPoll.
	if slow := delays[writes-1]; slow > 2*minPoll {
		t.Errorf("quiet file's slowest of %d lines took %v, want under %v", writes, slow, 2*minPoll)
	}
}

// TestRenameRotationWithRestart is case B04 of the shared failure cases.
func TestRenameRotationWithRestart(t *testing.T) {
	h := newHarness(t, nil)
	h.write("app.log", join(lines("line-", 1, 5)))
	h.start()
	h.waitFor("app.log", lines("line-", 1, 5), 5*time.Second)

	if err := os.Rename(h.path("app.log"), h.path("app.log.1")); err != nil {
		t.Fatal(err)
	}
	h.write("app.log", "")
	time.Sleep(200 * time.Millisecond)
	for _, l := range lines("new-", 1, 8) {
		h.write("app.log", l+"\n")
		time.Sleep(20 * time.Millisecond)
	}
	want := append(lines("line-", 1, 5), lines("new-", 1, 8)...)
	h.waitFor("app.log", want, 5*time.Second)

	h.stop()
	h.start()
	h.write("app.log", "new-00009-\n")
	h.waitFor("app.log", append(want, "new-00009-"), 5*time.Second)
	h.stays("app.log", append(want, "new-00009-"), 300*time.Millisecond)
}

// TestPartialLastLine is case B17 of the shared failure cases, with the
// partial-line timeout at 1 s to keep the test short.
func TestPartialLastLine(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.PartialLineTimeout = time.Second })
	h.write("t.log", "foo\nbar")
	h.start()
	h.waitFor("t.log", []string{"foo"}, 5*time.Second)
	h.stays("t.log", []string{"foo"}, 300*time.Millisecond)
	h.write("t.log", "baz\n")
	h.waitFor("t.log", []string{"foo", "barbaz"}, 5*time.Second)

	h.write("t.log", "qux")
	if err := os.Rename(h.path("t.log"), h.path("t.log.1")); err != nil {
		t.Fatal(err)
	}
	h.write("t.log", "new\n")
	h.waitFor("t.log", []string{"foo", "barbaz", "qux", "new"}, 5*time.Second)

	h.write("one.log", "lonely")
	h.waitFor("one.log", []string{"lonely"}, 5*time.Second)
	h.stop()
	h.start()
	h.stays("one.log", []string{"lonely"}, 500*time.Millisecond)
}

// TestCorruptCheckpointRereads is case B12: an empty checkpoint file after
// a kill. corral warns once and reads the files again from their start.
func TestCorruptCheckpointRereads(t *testing.T) {
	h := newHarness(t, nil)
	h.write("app.log", "c-1\nc-2\nc-3\n")
	h.start()
	h.waitFor("app.log", []string{"c-1", "c-2", "c-3"}, 5*time.Second)
	h.stop()

	entries, _ := filepath.Glob(filepath.Join(h.state, "*"))
	if len(entries) == 0 {
		t.Fatal("no checkpoint file written")
	}
	for _, e := range entries {
		if err := os.WriteFile(e, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	h.start()
	h.write("app.log", "c-4\n")
	h.waitFor("app.log", []string{"c-1", "c-2", "c-3", "c-1", "c-2", "c-3", "c-4"}, 5*time.Second)
}

func TestTruncationInPlace(t *testing.T) {
	h := newHarness(t, nil)
	h.write("app.log", "before-1\nbefore-2\n")
	h.start()
	h.waitFor("app.log", []string{"before-1", "before-2"}, 5*time.Second)
	if err := os.WriteFile(h.path("app.log"), []byte("after\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h.waitFor("app.log", []string{"before-1", "before-2", "after"}, 5*time.Second)
}

func TestGlobsSymlinksAndExcludes(t *testing.T) {
	h := newHarness(t, func(o *Options) {
		o.Paths = []string{filepath.Join(o.StateDir, "..", "never", "*.log")} // replaced below
	})
	h.opts.Paths = []string{filepath.Join(h.dir, "**", "*.log"), filepath.Join(h.dir, "link.log")}
	h.opts.Exclude = []string{"skip-*.log"}
	if err := os.MkdirAll(h.path("apt/deep"), 0o755); err != nil {
		t.Fatal(err)
	}
	h.write("apt/deep/history.log", "deep\n")
	h.write("skip-me.log", "no\n")
	h.write("target.log", "once\n")
	if err := os.Symlink(h.path("target.log"), h.path("link.log")); err != nil {
		t.Fatal(err)
	}
	h.start()
	h.waitFor("history.log", []string{"deep"}, 5*time.Second)
	time.Sleep(300 * time.Millisecond)
	if diff := cmp.Diff([]string{"deep", "once"}, h.sink.all()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestStartAtEnd(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.StartAtEnd = true })
	h.write("old.log", "skipped\n")
	h.start()
	h.write("old.log", "kept\n")
	h.write("new.log", "from the start\n")
	h.waitFor("old.log", []string{"kept"}, 5*time.Second)
	h.waitFor("new.log", []string{"from the start"}, 5*time.Second)
}
