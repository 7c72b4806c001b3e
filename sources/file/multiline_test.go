package file

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/corral-logs/corral/internal/shared"
	"github.com/corral-logs/corral/parsers/frame"
	"github.com/corral-logs/corral/parsers/multiline"
)

// TestMultilineStackTraces ships the sample stack traces with each
// language's preset: every trace is one event, with the line counts the
// test data's README gives.
func TestMultilineStackTraces(t *testing.T) {
	hostlogs := shared.Testdata(t, "hostlogs")
	tests := []struct {
		preset, file string
		lines        []int
	}{
		{"java", "java-stacktrace.log", []int{1, 1, 10, 1, 10, 3, 1}},
		{"python", "python-traceback.log", []int{1, 9, 13, 1, 10}},
		{"go", "go-panic.log", []int{1, 1, 16, 1, 1, 9, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.preset, func(t *testing.T) {
			rule, err := multiline.Preset(tt.preset)
			if err != nil {
				t.Fatal(err)
			}
			rule.MaxLines, rule.MaxBytes = 500, 1<<20
			h := newHarness(t, func(o *Options) {
				o.Multiline = &rule
				o.MultilineTimeout = 200 * time.Millisecond
			})
			data, err := os.ReadFile(filepath.Join(hostlogs, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			h.write(tt.file, string(data))
			h.start()
			deadline := time.Now().Add(5 * time.Second)
			for len(h.sink.stream(tt.file)) < len(tt.lines) && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			h.stays(tt.file, h.sink.stream(tt.file), 300*time.Millisecond)
			var got []int
			for _, ev := range h.sink.stream(tt.file) {
				got = append(got, strings.Count(ev, "\n")+1)
			}
			if !equalInts(got, tt.lines) {
				t.Errorf("lines per event = %v, want %v", got, tt.lines)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestB22MultilineTimeoutAndStop is case B22: the last stack trace ships
// after the multiline timeout without more input, and a stop ships an
// open event at once.
func TestB22MultilineTimeoutAndStop(t *testing.T) {
	data := shared.ReadFile(t, shared.Case(t, "B22", "stack.txt"))
	rule := multiline.Rule{Start: mustRegexp(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} `), MaxLines: 500, MaxBytes: 1 << 20}
	want := []string{
		"2026-03-20 10:00:00 INFO start",
		"2026-03-20 10:00:01 ERROR boom\njava.lang.IllegalStateException: bad state\n" +
			"\tat com.example.Svc.run(Svc.java:42)\n\tat java.lang.Thread.run(Thread.java:833)",
	}

	h := newHarness(t, func(o *Options) { o.Multiline = &rule; o.MultilineTimeout = 2 * time.Second })
	h.write("java.log", string(data))
	h.start()
	h.waitFor("java.log", want, 3*time.Second)

	// Stopped before the timeout: the open event ships at the stop.
	h2 := newHarness(t, func(o *Options) { o.Multiline = &rule; o.MultilineTimeout = time.Hour })
	h2.write("java.log", string(data))
	h2.start()
	h2.waitFor("java.log", want[:1], 3*time.Second)
	h2.stop()
	if got := h2.sink.stream("java.log"); len(got) != 2 || got[1] != want[1] {
		t.Errorf("after stop: %q, want the ERROR event too", got)
	}
}

func TestLatin1File(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.Encoding = frame.Latin1 })
	h.write("l.log", "caf\xe9\nna\xefve\n")
	h.start()
	h.waitFor("l.log", []string{"café", "naïve"}, 5*time.Second)
}

func mustRegexp(s string) *regexp.Regexp { return regexp.MustCompile(s) }
