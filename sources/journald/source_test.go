package journald

import (
	"context"
	"encoding/json"
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

// event is one delivered event.
type event struct {
	Time int64
	Msg  string
}

// memSink stores delivered events per "group stream". While held, it
// accepts nothing (or nothing for one stream) until released or its
// context ends.
type memSink struct {
	mu      sync.Mutex
	events  map[string][]event // guarded by mu; "group stream" -> events
	held    chan struct{}      // guarded by mu; non-nil while held
	heldKey string             // guarded by mu; the stream held, or "" for all
}

func (m *memSink) Send(ctx context.Context, r *pipeline.Request) error {
	key := r.Dest.Group + " " + r.Dest.Stream
	m.mu.Lock()
	held := m.held
	if m.heldKey != "" && m.heldKey != key {
		held = nil
	}
	m.mu.Unlock()
	if held != nil {
		select {
		case <-held:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.events == nil {
		m.events = make(map[string][]event)
	}
	r.Each(func(ts int64, msg []byte) {
		m.events[key] = append(m.events[key], event{ts, string(msg)})
	})
	return nil
}

// hold stops deliveries to the stream key, or to every stream without one.
func (m *memSink) hold(key ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.held = make(chan struct{})
	m.heldKey = strings.Join(key, "")
}

func (m *memSink) release() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.held != nil {
		close(m.held)
		m.held, m.heldKey = nil, ""
	}
}

func (m *memSink) all() map[string][]event {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string][]event, len(m.events))
	for k, v := range m.events {
		out[k] = slices.Clone(v)
	}
	return out
}

func (m *memSink) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, v := range m.events {
		n += len(v)
	}
	return n
}

// testRoute sends an entry to group /j/<hostname> (local without one) and
// stream <unit>/<priority>/<identifier>.
func testRoute(m Meta) pipeline.Dest {
	host := m.Hostname
	if host == "" {
		host = "local"
	}
	stream := m.Unit + "/" + m.Priority + "/" + m.Identifier
	return pipeline.Dest{Group: "/j/" + host, Stream: stream}
}

// harness runs one source over a journal directory and a pipeline into a
// memSink, and stops and restarts them like the agent does.
type harness struct {
	t     *testing.T
	j     *journal
	state string
	sink  *memSink
	opts  Options
	pipe  pipeline.Options

	src        *Source
	cancel     context.CancelFunc
	done       chan struct{}
	pipeCancel context.CancelFunc
	pipeDone   chan error
}

// newHarness returns a harness over a new journal directory, read with
// the machine's journalctl.
func newHarness(t *testing.T, configure func(*Options)) *harness {
	t.Helper()
	journalctl, _ := needTools(t)
	h := bareHarness(t)
	h.j = newJournal(t)
	h.opts.Journalctl, h.opts.Directory = journalctl, h.j.dir
	if configure != nil {
		configure(&h.opts)
	}
	return h
}

// bareHarness returns a harness without journalctl or a journal.
func bareHarness(t *testing.T) *harness {
	h := &harness{t: t, state: t.TempDir(), sink: &memSink{}}
	h.opts = Options{
		Name:     "test",
		Process:  func(m Meta) *process.Processor { return process.Fixed("journal", testRoute(m)) },
		StateDir: h.state,
		Log:      zaptest.NewLogger(t),
	}
	h.pipe = pipeline.Options{FlushInterval: 10 * time.Millisecond}
	t.Cleanup(func() {
		h.sink.release()
		if h.cancel != nil {
			h.stop()
		}
	})
	return h
}

func (h *harness) start() {
	h.t.Helper()
	pipe := pipeline.New(h.sink, h.pipe)
	opts := h.opts
	opts.Pipeline = pipe
	src, err := New(opts)
	if err != nil {
		h.t.Fatal(err)
	}
	h.src = src
	pctx, pcancel := context.WithCancel(context.Background())
	h.pipeCancel, h.pipeDone = pcancel, make(chan error, 1)
	go func() { h.pipeDone <- pipe.Run(pctx) }()
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan struct{})
	go func() {
		defer close(h.done)
		if err := src.Run(ctx); err != nil {
			h.t.Errorf("source run: %v", err)
		}
		pipe.CloseInput()
	}()
}

// stop shuts down like SIGTERM: stop reading, deliver, commit.
func (h *harness) stop() {
	h.t.Helper()
	h.cancel()
	<-h.done
	if err := <-h.pipeDone; err != nil {
		h.t.Errorf("pipeline: %v", err)
	}
	h.pipeCancel()
	if err := h.src.Commit(); err != nil {
		h.t.Errorf("commit: %v", err)
	}
	h.cancel = nil
}

// kill stops like kill -9: delivery stops where it is, and the source only
// gets to save what was committed.
func (h *harness) kill() {
	h.t.Helper()
	h.pipeCancel()
	<-h.pipeDone
	h.cancel()
	<-h.done
	h.cancel = nil
}

// waitFor polls until the delivered events equal want, and fails loudly
// with a diff at the deadline.
func (h *harness) waitFor(want map[string][]event, within time.Duration) {
	h.t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := h.sink.all()
		if cmp.Equal(want, got) {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("events after %v (-want +got):\n%s", within, cmp.Diff(want, got))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitCount polls until n events were delivered.
func (h *harness) waitCount(n int, within time.Duration) {
	h.t.Helper()
	deadline := time.Now().Add(within)
	for h.sink.count() < n {
		if time.Now().After(deadline) {
			h.t.Fatalf("%d of %d events delivered after %v", h.sink.count(), n, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stays checks that the delivered events still equal want after d.
func (h *harness) stays(want map[string][]event, d time.Duration) {
	h.t.Helper()
	time.Sleep(d)
	if diff := cmp.Diff(want, h.sink.all()); diff != "" {
		h.t.Fatalf("events changed (-want +got):\n%s", diff)
	}
}

// savedCursor returns the cursor in the source's checkpoint file.
func (h *harness) savedCursor() string {
	h.t.Helper()
	data, err := os.ReadFile(filepath.Join(h.state, "journald-test.json"))
	if os.IsNotExist(err) {
		return ""
	}
	if err != nil {
		h.t.Fatal(err)
	}
	var f checkpointFile
	if err := json.Unmarshal(data, &f); err != nil {
		h.t.Fatalf("checkpoint %s: %v", data, err)
	}
	return f.Cursor
}

// f is shorthand for a field.
func f(name, value string) field { return field{name, value} }

// unitEntry returns the fields of a message that a unit logged.
func unitEntry(unit, prio, ident, msg string) []field {
	return []field{f("_SYSTEMD_UNIT", unit), f("PRIORITY", prio), f("SYSLOG_IDENTIFIER", ident),
		f("MESSAGE", msg)}
}

// kernelEntry returns the fields of a kernel message.
func kernelEntry(prio, msg string) []field {
	return []field{f("_TRANSPORT", "kernel"), f("PRIORITY", prio), f("SYSLOG_IDENTIFIER", "kernel"),
		f("MESSAGE", msg)}
}

// systemdEntry returns the fields of a message of systemd about unit.
func systemdEntry(unit, prio, msg string) []field {
	return []field{f("_SYSTEMD_UNIT", "init.scope"), f("_PID", "1"), f("UNIT", unit),
		f("PRIORITY", prio), f("SYSLOG_IDENTIFIER", "systemd"), f("MESSAGE", msg)}
}

// streamA is the stream of a.service's info messages in most tests.
const streamA = "/j/local a.service/info/a"

// aEntry returns entry i of a.service's info messages, and its event.
func aEntry(j *journal, i int, msg string) ([]field, event) {
	return j.entry(i, unitEntry("a.service", "6", "a", msg)...), event{j.ms(i), msg}
}

func TestShipsEntriesOfTheLatestBoot(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.MaxEventBytes = 40 })
	j := h.j
	long := strings.Repeat("0123456789", 9) // 90 bytes: three events of at most 40
	const oldBoot = "0123456789abcdef0123456789abcdef"
	accepted := append(unitEntry("ssh.service", "6", "sshd", "Accepted publickey"),
		f("_HOSTNAME", "web1"))
	j.write("system.journal",
		// An earlier boot is not read without a checkpoint.
		j.bootEntry(oldBoot, 0, unitEntry("ssh.service", "6", "sshd", "old boot")...),
		j.entry(1, accepted...),
		j.entry(2, unitEntry("cron.service", "3", "CRON", "line one\nline two\ttabbed")...),
		j.entry(3, unitEntry("ssh.service", "4", "sshd", "bad \xff\xfe bytes\x00 and é")...),
		j.entry(4, kernelEntry("2", "Out of memory")...),
		j.entry(5, unitEntry("ssh.service", "6", "sshd", "")...),
		j.entry(6, f("SYSLOG_IDENTIFIER", "myscript"), f("PRIORITY", "5"),
			f("MESSAGE", "outside any unit")),
		j.entry(7, f("_COMM", "bash"), f("MESSAGE", "no priority, no identifier")),
		j.entry(8, unitEntry("ssh.service", "7", "sshd", long)...),
		j.entry(9, systemdEntry("ssh.service", "6", "Started ssh.service.")...),
	)
	h.start()
	h.waitFor(map[string][]event{
		"/j/web1 ssh.service/info/sshd":     {{j.ms(1), "Accepted publickey"}},
		"/j/local cron.service/err/CRON":    {{j.ms(2), "line one\nline two\ttabbed"}},
		"/j/local ssh.service/warning/sshd": {{j.ms(3), "bad \uFFFD\uFFFD bytes\uFFFD and é"}},
		"/j/local kernel/crit/kernel":       {{j.ms(4), "Out of memory"}},
		"/j/local myscript/notice/myscript": {{j.ms(6), "outside any unit"}},
		"/j/local bash/unknown/bash":        {{j.ms(7), "no priority, no identifier"}},
		"/j/local ssh.service/debug/sshd": {
			{j.ms(8), long[:26] + frame.SplitMarker},
			{j.ms(8), long[26:52] + frame.SplitMarker},
			{j.ms(8), long[52:]},
		},
		"/j/local ssh.service/info/systemd": {{j.ms(9), "Started ssh.service."}},
	}, 10*time.Second)
	h.stop()

	st := &h.src.Stats
	got := map[string]int64{"entries": st.Entries.Load(), "events": st.Events.Load(),
		"empty": st.Empty.Load(), "split": st.Split.Load(), "replaced": st.Replaced.Load(),
		"invalid": st.Invalid.Load()}
	want := map[string]int64{"entries": 9, "events": 10, "empty": 1, "split": 1, "replaced": 1,
		"invalid": 0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func TestCutsLongMessages(t *testing.T) {
	long := strings.Repeat("x", 50)
	tests := []struct {
		name string
		opts func(*Options)
		want []string
	}{
		{"truncate", func(o *Options) { o.Oversize = frame.Truncate },
			[]string{long[:16] + frame.TruncatedMarker}},
		{"truncate without marker", func(o *Options) {
			o.Oversize, o.NoMarkers = frame.Truncate, true
		},
			[]string{long[:30]}},
		{"split without markers", func(o *Options) { o.NoMarkers = true },
			[]string{long[:30], long[30:]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, func(o *Options) { o.MaxEventBytes = 30; tt.opts(o) })
			h.j.write("system.journal", h.j.entry(0, unitEntry("a.service", "6", "a", long)...))
			h.start()
			var want []event
			for _, m := range tt.want {
				want = append(want, event{h.j.ms(0), m})
			}
			h.waitFor(map[string][]event{streamA: want}, 10*time.Second)
		})
	}
}

// TestBinaryMessageOverJSONThreshold checks that a binary MESSAGE longer
// than journalctl's 4,096-byte JSON threshold arrives whole (--all).
func TestBinaryMessageOverJSONThreshold(t *testing.T) {
	h := newHarness(t, nil)
	msg := strings.Repeat("ab\x01", 3000)
	h.j.write("system.journal", h.j.entry(0, unitEntry("a.service", "6", "a", msg)...))
	h.start()
	h.waitFor(map[string][]event{streamA: {{h.j.ms(0), msg}}}, 10*time.Second)
}

func TestFollowsNewEntries(t *testing.T) {
	h := newHarness(t, nil)
	j := h.j
	j.write("system.journal", j.entry(0, unitEntry("a.service", "6", "a", "first")...))
	h.start()
	want := map[string][]event{streamA: {{j.ms(0), "first"}}}
	h.waitFor(want, 10*time.Second)

	// Appended to the open file, then in a new file of the directory.
	j.write("system.journal", j.entry(1, unitEntry("a.service", "6", "a", "appended")...))
	want[streamA] = append(want[streamA], event{j.ms(1), "appended"})
	h.waitFor(want, 10*time.Second)
	j.write("user-1000.journal", j.entry(2, unitEntry("a.service", "6", "a", "new file")...))
	want[streamA] = append(want[streamA], event{j.ms(2), "new file"})
	h.waitFor(want, 10*time.Second)
}

func TestRestartResumesAfterCommittedCursor(t *testing.T) {
	h := newHarness(t, nil)
	j := h.j
	var first []event
	var entries [][]field
	for i := range 5 {
		e, ev := aEntry(j, i, fmt.Sprint("before-", i))
		entries = append(entries, e)
		first = append(first, ev)
	}
	j.write("system.journal", entries...)
	h.start()
	want := map[string][]event{streamA: first}
	h.waitFor(want, 10*time.Second)
	h.stop()
	if h.savedCursor() == "" {
		t.Fatal("no cursor saved after a clean stop")
	}

	// Entries written while corral is down, to the same file and a new
	// one, are read after a restart; the delivered ones are not read again.
	j.write("system.journal", j.entry(5, unitEntry("a.service", "6", "a", "while down")...))
	inNewFile, _ := aEntry(j, 6, "in a new file")
	j.write("system@rotated.journal", inNewFile)
	h.start()
	want[streamA] = append(want[streamA],
		event{j.ms(5), "while down"}, event{j.ms(6), "in a new file"})
	h.waitFor(want, 10*time.Second)
	h.stays(want, 300*time.Millisecond)
}

// TestKillReplaysWhatWasNotDelivered stops delivery mid-way like kill -9:
// what was delivered and saved is not sent again; the rest is, after a
// restart.
func TestKillReplaysWhatWasNotDelivered(t *testing.T) {
	h := newHarness(t, nil)
	j := h.j
	j.write("system.journal", j.entry(0, unitEntry("a.service", "6", "a", "delivered")...))
	h.start()
	want := map[string][]event{streamA: {{j.ms(0), "delivered"}}}
	h.waitFor(want, 10*time.Second)
	// Wait for the periodic save of the committed cursor.
	committed := h.src.tracker.Committed().Cursor
	deadline := time.Now().Add(5 * time.Second)
	for h.savedCursor() != committed {
		if time.Now().After(deadline) {
			t.Fatalf("checkpoint holds %q, want the committed %q", h.savedCursor(), committed)
		}
		time.Sleep(10 * time.Millisecond)
	}

	h.sink.hold()
	j.write("system.journal", j.entry(1, unitEntry("a.service", "6", "a", "in flight")...))
	deadline = time.Now().Add(10 * time.Second)
	for h.src.Stats.Events.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the new entry was not read")
		}
		time.Sleep(10 * time.Millisecond)
	}
	h.kill()
	if got := h.savedCursor(); got != committed {
		t.Fatalf("checkpoint after kill = %q, want the delivered entry's %q", got, committed)
	}

	h.sink.release()
	h.start()
	want[streamA] = append(want[streamA], event{j.ms(1), "in flight"})
	h.waitFor(want, 10*time.Second)
	h.stays(want, 300*time.Millisecond)
}

func TestUnitAndPriorityFilters(t *testing.T) {
	h := newHarness(t, func(o *Options) {
		o.Units = []string{"a", "b.service"}
		o.IncludeKernel = true
		o.Priority = "warning"
	})
	j := h.j
	j.write("system.journal",
		j.entry(0, unitEntry("a.service", "4", "a", "a warning")...),
		j.entry(1, unitEntry("a.service", "6", "a", "a info: too verbose")...),
		j.entry(2, unitEntry("b.service", "0", "b", "b emerg")...),
		j.entry(3, unitEntry("c.service", "0", "c", "c: not a chosen unit")...),
		j.entry(4, kernelEntry("3", "kernel err")...),
		j.entry(5, kernelEntry("6", "kernel info")...),
		j.entry(6, systemdEntry("a.service", "3", "a.service: Failed.")...),
		j.entry(7, systemdEntry("c.service", "3", "c.service: Failed.")...),
		j.entry(8, unitEntry("ab.service", "0", "ab", "ab: a prefix is not a match")...),
	)
	h.start()
	want := map[string][]event{
		"/j/local a.service/warning/a":   {{j.ms(0), "a warning"}},
		"/j/local b.service/emerg/b":     {{j.ms(2), "b emerg"}},
		"/j/local kernel/err/kernel":     {{j.ms(4), "kernel err"}},
		"/j/local a.service/err/systemd": {{j.ms(6), "a.service: Failed."}},
	}
	h.waitFor(want, 10*time.Second)
	h.stays(want, 300*time.Millisecond)
}

// TestManyEntriesUnderASmallBudget reads a backlog far larger than the
// byte budget: reading waits for delivery, and every entry arrives once,
// in order.
func TestManyEntriesUnderASmallBudget(t *testing.T) {
	h := newHarness(t, nil)
	h.pipe.MaxBytes = 64 << 10
	j := h.j
	const n = 20_000
	var want []event
	var entries [][]field
	for i := range n {
		msg := fmt.Sprintf("entry %05d %s", i, strings.Repeat("x", i%200))
		entries = append(entries, j.entry(i, unitEntry("a.service", "6", "a", msg)...))
		want = append(want, event{j.ms(i), msg})
	}
	j.write("system.journal", entries...)
	h.start()
	h.waitCount(n, 60*time.Second)
	h.waitFor(map[string][]event{streamA: want}, 5*time.Second)
	h.stop()
	if got := h.src.tracker.Pending(); got != 0 {
		t.Errorf("%d blocks still pending", got)
	}
}

// TestEmptyJournalIsRetried starts on a directory without journal files:
// journalctl exits, and is started again until entries appear.
func TestEmptyJournalIsRetried(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.Retry.Max = 50 * time.Millisecond })
	h.start()
	deadline := time.Now().Add(10 * time.Second)
	for h.src.Stats.Restarts.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("journalctl was not restarted")
		}
		time.Sleep(10 * time.Millisecond)
	}
	h.j.write("system.journal", h.j.entry(0, unitEntry("a.service", "6", "a", "at last")...))
	h.waitFor(map[string][]event{streamA: {{h.j.ms(0), "at last"}}}, 10*time.Second)
}

// TestResumesAcrossBoots resumes from a cursor of the previous boot: the
// end of that boot is read before the current one.
func TestResumesAcrossBoots(t *testing.T) {
	h := newHarness(t, nil)
	j := h.j
	j.write("system.journal", j.entry(0, unitEntry("a.service", "6", "a", "boot A, delivered")...))
	h.start()
	want := map[string][]event{streamA: {{j.ms(0), "boot A, delivered"}}}
	h.waitFor(want, 10*time.Second)
	h.stop()

	const bootB = "b0000000000000000000000000000000"
	j.write("system.journal",
		j.entry(1, unitEntry("a.service", "6", "a", "boot A, after the checkpoint")...),
		j.bootEntry(bootB, 2, unitEntry("a.service", "6", "a", "boot B")...))
	h.start()
	want[streamA] = append(want[streamA],
		event{j.ms(1), "boot A, after the checkpoint"}, event{j.ms(2), "boot B"})
	h.waitFor(want, 10*time.Second)

	// And it follows the new boot.
	later := j.bootEntry(bootB, 3, unitEntry("a.service", "6", "a", "boot B, later")...)
	j.write("system.journal", later)
	want[streamA] = append(want[streamA], event{j.ms(3), "boot B, later"})
	h.waitFor(want, 10*time.Second)
}

// TestResumesWhenTheCheckpointedEntryIsGone replaces the journal by one
// without the checkpointed entry (as vacuuming does): reading resumes at
// the first entry after where it was, without losing that one.
func TestResumesWhenTheCheckpointedEntryIsGone(t *testing.T) {
	h := newHarness(t, nil)
	j := h.j
	e := func(i int) []field { e, _ := aEntry(j, i, fmt.Sprint("entry-", i)); return e }
	ev := func(i int) event { return event{j.ms(i), fmt.Sprint("entry-", i)} }
	j.write("system.journal", e(0), e(1), e(2))
	h.start()
	want := map[string][]event{streamA: {ev(0), ev(1), ev(2)}}
	h.waitFor(want, 10*time.Second)
	h.stop()

	if err := os.Remove(filepath.Join(j.dir, "system.journal")); err != nil {
		t.Fatal(err)
	}
	j.write("system@2.journal", e(0), e(1), e(3), e(4))
	h.start()
	want[streamA] = append(want[streamA], ev(3), ev(4))
	h.waitFor(want, 10*time.Second)
	h.stays(want, 300*time.Millisecond)
}

// TestCommitsEntriesOnlyOnceAllEarlierAreDelivered holds the stream of a
// later entry while an earlier one, read with it, is delivered: the
// later entry's cursor is not committed, so it is read again after a kill.
func TestCommitsEntriesOnlyOnceAllEarlierAreDelivered(t *testing.T) {
	h := newHarness(t, nil)
	j := h.j
	j.write("system.journal",
		j.entry(0, unitEntry("x.service", "6", "x", "x delivered")...),
		j.entry(1, unitEntry("y.service", "6", "y", "y held")...))
	const streamX, streamY = "/j/local x.service/info/x", "/j/local y.service/info/y"
	h.sink.hold(streamY)
	h.start()
	h.waitFor(map[string][]event{streamX: {{j.ms(0), "x delivered"}}}, 10*time.Second)
	time.Sleep(3 * checkpointInterval) // a save of a wrongly committed cursor would happen now
	h.kill()

	h.sink.release()
	h.start()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := h.sink.all()
		if len(got[streamY]) > 0 {
			if diff := cmp.Diff([]event{{j.ms(1), "y held"}}, got[streamY]); diff != "" {
				t.Fatalf("stream y (-want +got):\n%s", diff)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the held entry was not read again; checkpoint %q", h.savedCursor())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
