package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/corral-logs/corral/internal/cwltest"
)

// The cloudwatch-area cases that read each line's leading timestamp. Their
// clock is 2026-03-20T12:00:00Z; the tests shift every timestamp in inputs
// and expectations by the same offset to now, as the cases allow.

// caseClock is the "now" of cases B29 to B31.
var caseClock = time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)

// shiftLines rewrites each line's leading RFC 3339 timestamp by offset.
func shiftLines(t *testing.T, path string, offset time.Duration) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		ts, rest, _ := strings.Cut(line, " ")
		tm, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		fmt.Fprintf(&b, "%s %s\n", tm.Add(offset).UTC().Format("2006-01-02T15:04:05.000Z"), rest)
	}
	return b.String()
}

// shipTimestamped runs corral over files (name -> content) with leading
// RFC 3339 timestamps into lg-test/s1 until want events arrived.
func shipTimestamped(t *testing.T, fake *cwltest.Server, files map[string]string, want int) []cwltest.Event {
	t.Helper()
	dir, state := t.TempDir(), t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := fakeConfig(t, fake, state, filepath.Join(dir, "*.log"), "    timestamp:\n      format: rfc3339\n")
	p := startCorral(t, fakeEnv, "run", "--config", cfg)
	waitUntil(t, 20*time.Second, func() bool { return len(fake.Events("lg-test", "s1")) >= want },
		func() string { return fmt.Sprintf("%d of %d events", len(fake.Events("lg-test", "s1")), want) })
	time.Sleep(500 * time.Millisecond) // nothing more may come
	if code := p.stop(10 * time.Second); code != 0 {
		t.Errorf("exit code = %d", code)
	}
	lastOutput = p.output()
	if v := fake.Violations(); len(v) > 0 {
		t.Errorf("requests the service would refuse: %v", v)
	}
	return fake.Events("lg-test", "s1")
}

func messagesOf(evs []cwltest.Event) []string {
	var out []string
	for _, e := range evs {
		_, msg, _ := strings.Cut(e.Message, " ")
		out = append(out, msg)
	}
	return out
}

// TestB29SpanOf24Hours: six events over three days go in requests that
// each span less than 24 hours, greedily: two events each.
func TestB29SpanOf24Hours(t *testing.T) {
	dir := sharedCase(t, "B29")
	offset := time.Since(caseClock).Truncate(time.Millisecond)
	fake := cwltest.New(t, cwltest.Options{})
	evs := shipTimestamped(t, fake, map[string]string{"old.log": shiftLines(t, filepath.Join(dir, "old.txt"), offset)}, 6)
	if diff := cmp.Diff([]string{"span-1", "span-2", "span-3", "span-4", "span-5", "span-6"}, messagesOf(evs)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	want := []int64{1773705600000, 1773748800000, 1773813600000, 1773878340000, 1773921600000, 1774004400000}
	for i, e := range evs {
		if i < len(want) && e.Timestamp != want[i]+offset.Milliseconds() {
			t.Errorf("event %d at %d, want %d shifted by %d", i, e.Timestamp, want[i], offset.Milliseconds())
		}
	}
	var sizes []int
	for _, r := range fake.Requests() {
		if r.Status == 200 {
			sizes = append(sizes, r.Events)
		}
	}
	if diff := cmp.Diff([]int{2, 2, 2}, sizes); diff != "" {
		t.Errorf("events per request (-want +got):\n%s", diff)
	}
}

// TestB30OutsideTheWindow: events older than 14 days or more than 2 hours
// ahead are not sent, and counted; the others arrive once.
func TestB30OutsideTheWindow(t *testing.T) {
	dir := sharedCase(t, "B30")
	offset := time.Since(caseClock).Truncate(time.Millisecond)
	fake := cwltest.New(t, cwltest.Options{})
	evs := shipTimestamped(t, fake, map[string]string{"window.log": shiftLines(t, filepath.Join(dir, "window.txt"), offset)}, 2)
	if diff := cmp.Diff([]string{"ok-1", "ok-2"}, messagesOf(evs)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	for i, want := range []int64{1773878400000, 1774007999000} {
		if i < len(evs) && evs[i].Timestamp != want+offset.Milliseconds() {
			t.Errorf("event %d at %d, want %d shifted", i, evs[i].Timestamp, want)
		}
	}
	sent := 0
	for _, r := range fake.Requests() {
		if r.Status == 200 {
			sent += r.Events
		}
	}
	if sent != 2 {
		t.Errorf("%d events sent, want 2: events outside the window were sent", sent)
	}
	// Counted and logged: too old 2, too new 1.
	tooOld, tooNew := 0, 0
	for _, line := range strings.Split(lastOutput, "\n") {
		var entry struct {
			Msg    string `json:"msg"`
			TooOld int    `json:"too_old"`
			TooNew int    `json:"too_new"`
		}
		if json.Unmarshal([]byte(line), &entry) == nil && strings.Contains(entry.Msg, "outside the service's time window") {
			tooOld += entry.TooOld
			tooNew += entry.TooNew
		}
	}
	if tooOld != 2 || tooNew != 1 {
		t.Errorf("logged as dropped: too old %d, too new %d; want 2 and 1", tooOld, tooNew)
	}
	if c := stoppedCounts(t, lastOutput); c.Read != 5 || c.Delivered != 2 || c.TooOld != 2 || c.TooNew != 1 {
		t.Errorf("counts = %+v, want read 5 = delivered 2 + too old 2 + too new 1", c)
	}
}

// lastOutput is the log of the last corral shipTimestamped ran.
var lastOutput string

// TestB31OutOfOrderAcrossFiles: two files into one stream with interleaved
// timestamps; every request is sorted, stable for equal timestamps.
func TestB31OutOfOrderAcrossFiles(t *testing.T) {
	dir := sharedCase(t, "B31")
	offset := time.Since(caseClock).Truncate(time.Millisecond)
	fake := cwltest.New(t, cwltest.Options{})
	evs := shipTimestamped(t, fake, map[string]string{
		"a.log": shiftLines(t, filepath.Join(dir, "a.txt"), offset),
		"b.log": shiftLines(t, filepath.Join(dir, "b.txt"), offset),
	}, 5)
	got := messagesOf(evs)
	accepted := 0
	for _, r := range fake.Requests() {
		if r.Status == 200 {
			accepted++
		}
	}
	if accepted != 1 {
		t.Errorf("%d requests accepted, want the 5 events in one", accepted)
	} else {
		if diff := cmp.Diff([]string{"ooo-b1", "ooo-a1", "ooo-b2", "ooo-a2", "ooo-a3"}, got); diff != "" {
			t.Errorf("events of the one request (-want +got):\n%s", diff)
		}
	}
	seen := map[string]int{}
	for _, m := range got {
		seen[m]++
	}
	for _, m := range []string{"ooo-a1", "ooo-a2", "ooo-a3", "ooo-b1", "ooo-b2"} {
		if seen[m] != 1 {
			t.Errorf("%s arrived %d times", m, seen[m])
		}
	}
}
