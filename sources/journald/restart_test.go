package journald

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// fakeJournalctl writes a script that stands in for journalctl: run n
// records its arguments, prints outputs[n-1] (nothing past the list),
// and exits 0 when n is in ok, else 1. It returns the script's path and
// a function that returns the arguments of every run so far.
func fakeJournalctl(t *testing.T, outputs []string, ok ...int) (string, func() []string) {
	t.Helper()
	dir := t.TempDir()
	for i, out := range outputs {
		name := filepath.Join(dir, fmt.Sprint("out", i+1))
		if err := os.WriteFile(name, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range ok {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprint("ok", n)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	script := fmt.Sprintf(`#!/bin/sh
echo "$*" >> '%[1]s/args'
n=$(wc -l < '%[1]s/args')
[ -f "%[1]s/out$n" ] && cat "%[1]s/out$n"
echo "fake journalctl run $n failed" >&2
[ -f "%[1]s/ok$n" ] && exit 0
exit 1
`, dir)
	path := filepath.Join(dir, "journalctl")
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	runs := func() []string {
		data, _ := os.ReadFile(filepath.Join(dir, "args"))
		return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	}
	return path, runs
}

// TestRestartsJournalctl checks the runs of journalctl across exits: the
// first from the latest boot, then from the last entry read, first to the
// end of the journal, then following. Each entry is shipped once, a line
// that is no entry is counted and logged once, and a run of failures is
// logged once.
func TestRestartsJournalctl(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	const (
		one   = `{"__CURSOR":"s=x;i=1","MESSAGE":"one"}` + "\n"
		two   = `{"__CURSOR":"s=x;i=2","MESSAGE":"two"}` + "\n"
		three = `{"__CURSOR":"s=x;i=3","MESSAGE":"three"}` + "\n"
	)
	path, runs := fakeJournalctl(t, []string{one + "-- not JSON --\n", one + two, two + three + "[1,2]\n"}, 2)
	core, logs := observer.New(zap.DebugLevel)
	h := bareHarness(t)
	h.opts.Journalctl = path
	h.opts.Log = zap.New(core)
	h.opts.Now = func() time.Time { return now }
	h.opts.Retry.Max = 20 * time.Millisecond
	h.start()
	h.waitFor(map[string][]event{"/j/local unknown/unknown/unknown": {
		{now.UnixMilli(), "one"}, {now.UnixMilli(), "two"}, {now.UnixMilli(), "three"},
	}}, 10*time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for len(runs()) < 6 {
		if time.Now().After(deadline) {
			t.Fatalf("journalctl ran %d times, want at least 6", len(runs()))
		}
		time.Sleep(10 * time.Millisecond)
	}
	h.stop()

	args := runs()
	for i, want := range []struct{ has, hasNot []string }{
		{has: []string{"--follow", "--boot"}, hasNot: []string{"--cursor"}},
		{has: []string{"--cursor=s=x;i=1"}, hasNot: []string{"--follow", "--boot"}},
		{has: []string{"--follow", "--cursor=s=x;i=2"}, hasNot: []string{"--boot"}},
		{has: []string{"--cursor=s=x;i=3"}, hasNot: []string{"--follow"}},
	} {
		for _, a := range want.has {
			if !strings.Contains(args[i], a) {
				t.Errorf("run %d: arguments %q lack %s", i+1, args[i], a)
			}
		}
		for _, a := range want.hasNot {
			if strings.Contains(args[i], a) {
				t.Errorf("run %d: arguments %q have %s", i+1, args[i], a)
			}
		}
	}
	if got := h.src.Stats.Invalid.Load(); got != 2 {
		t.Errorf("invalid lines = %d, want 2", got)
	}
	got := map[string]int{}
	for _, e := range logs.All() {
		got[e.Message]++
	}
	want := map[string]int{
		"reading the journal from the start of the latest boot":              1,
		"journalctl printed a line that is not a journal entry, skipping it": 1,
		"journalctl stopped, restarting it":                                  2, // runs 1 and 3
		"journalctl is running again":                                        1,
	}
	// Every later run fails and is logged at debug, but the last one when
	// it was stopped rather than failing.
	if again := got["journalctl stopped again"]; again < len(args)-4 || again > len(args)-3 {
		t.Errorf("logged %d more failures at debug, want %d or %d", again, len(args)-4, len(args)-3)
	}
	delete(got, "journalctl stopped again")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("log messages (-want +got):\n%s", diff)
	}
	if cursor := h.savedCursor(); cursor != "s=x;i=3" {
		t.Errorf("saved cursor = %q, want s=x;i=3", cursor)
	}
}

// TestSkipsEntriesTooLarge skips an entry whose JSON is longer than
// maxLineBytes, and reads on.
func TestSkipsEntriesTooLarge(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	huge := `{"MESSAGE":"` + strings.Repeat("x", maxLineBytes) + `"}`
	after := `{"__CURSOR":"s=x;i=2","MESSAGE":"after"}`
	path, _ := fakeJournalctl(t, []string{huge + "\n" + after + "\n"})
	h := bareHarness(t)
	h.opts.Journalctl = path
	h.opts.Now = func() time.Time { return now }
	h.start()
	want := map[string][]event{"/j/local unknown/unknown/unknown": {{now.UnixMilli(), "after"}}}
	h.waitFor(want, 10*time.Second)
	h.stop()
	if got := h.src.Stats.TooLarge.Load(); got != 1 {
		t.Errorf("entries too large = %d, want 1", got)
	}
}

// TestMissingJournalctl keeps trying to start a journalctl that is not
// there, logs it once, and stops when asked.
func TestMissingJournalctl(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	h := bareHarness(t)
	h.opts.Journalctl = filepath.Join(t.TempDir(), "journalctl")
	h.opts.Log = zap.New(core)
	h.opts.Retry.Max = 10 * time.Millisecond
	h.start()
	deadline := time.Now().Add(10 * time.Second)
	for h.src.Stats.Restarts.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatal("journalctl was not tried again")
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.stop()
	warned := logs.FilterMessage("journalctl stopped, restarting it").All()
	if len(warned) != 1 {
		t.Fatalf("warned %d times, want once", len(warned))
	}
	err := warned[0].ContextMap()["error"]
	if !strings.Contains(fmt.Sprint(err), "start journalctl") {
		t.Errorf("warning's error = %v, want one about starting journalctl", err)
	}
}

// TestCorruptCheckpointIsIgnored starts from the latest boot when the
// checkpoint cannot be used.
func TestCorruptCheckpointIsIgnored(t *testing.T) {
	for _, content := range []string{
		`{"version":1,"cursor":"garbage"}`, `{"vers`, `{"version":2,"cursor":"s=a;i=1"}`,
	} {
		dir := t.TempDir()
		err := os.WriteFile(filepath.Join(dir, "journald-x.json"), []byte(content), 0o600)
		if err != nil {
			t.Fatal(err)
		}
		core, logs := observer.New(zap.WarnLevel)
		s, err := New(Options{Name: "x", StateDir: dir, Log: zap.New(core)})
		if err != nil {
			t.Fatal(err)
		}
		if s.readPos.Cursor != "" {
			t.Errorf("%s: resumes from %q, want the latest boot", content, s.readPos.Cursor)
		}
		if logs.Len() != 1 {
			t.Errorf("%s: %d warnings, want 1", content, logs.Len())
		}
	}
}
