package multiline

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corral-logs/corral/internal/shared"
)

// messages returns the messages of the events in recs.
func messages(recs []rec) []string {
	var msgs []string
	for _, r := range recs {
		if !r.Skip {
			msgs = append(msgs, r.Msg)
		}
	}
	return msgs
}

// TestB22StackTraceFlushed is case B22 of the shared failure cases: the
// last event, a stack trace, is held open until the caller flushes it
// after the multiline timeout, and then is the 4 lines joined.
func TestB22StackTraceFlushed(t *testing.T) {
	input := shared.ReadFile(t, shared.Case(t, "B22", "stack.txt"))
	start := regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} `) // from case.md
	g := New(Rule{Start: start, MaxLines: 500, MaxBytes: 1 << 20})
	var got []rec
	emit := func(msg []byte, ts, end int64) { got = append(got, ev(string(msg), ts, end)) }
	skip := func(end int64) { t.Errorf("skip(%d) called", end) }
	var ts, end int64
	for line := range strings.Lines(string(input)) {
		ts += 1000
		end += int64(len(line))
		g.Add([]byte(strings.TrimSuffix(line, "\n")), ts, end, emit, skip)
	}

	// Before the timeout only the first event is out; the trace is open.
	first := []rec{ev("2026-03-20 10:00:00 INFO start", 1000, 31)}
	if diff := cmp.Diff(first, got); diff != "" || !g.Open() {
		t.Fatalf("before the timeout: Open() = %v, output differs (-want +got):\n%s", g.Open(), diff)
	}

	// The timeout passed: the caller flushes.
	g.Flush(emit)
	want := append(first, ev("2026-03-20 10:00:01 ERROR boom\n"+
		"java.lang.IllegalStateException: bad state\n"+
		"\tat com.example.Svc.run(Svc.java:42)\n"+
		"\tat java.lang.Thread.run(Thread.java:833)", 2000, int64(len(input))))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after Flush: output differs (-want +got):\n%s", diff)
	}
}

// TestB23ContinueOnlyInsideEvent is case B23 of the shared failure cases:
// lines that look like continuations but follow no start line are events
// of their own.
func TestB23ContinueOnlyInsideEvent(t *testing.T) {
	input := shared.ReadFile(t, shared.Case(t, "B23", "ml.txt"))
	rule := Rule{Start: regexp.MustCompile(`^Start$`), Continue: regexp.MustCompile(`^\s+`),
		MaxLines: 500, MaxBytes: 1 << 20}
	got, g := group(rule, input)
	want := []string{"Start\n  indented", "line", "  indentedline", "  indented too", "dummy"}
	if diff := cmp.Diff(want, messages(got)); diff != "" {
		t.Errorf("events differ (-want +got):\n%s", diff)
	}
	if len(got) != len(want) {
		t.Errorf("%d records, want %d events and no skips: %v", len(got), len(want), got)
	}
	if g.Open() {
		t.Error("an event is still open after Flush")
	}
}

// hostlog is a multiline file's entry in the sample data's expected.json.
type hostlog struct {
	Events        int    `json:"events"`
	Lines         int    `json:"lines"`
	LinesPerEvent []int  `json:"lines_per_event"`
	StartPattern  string `json:"start_pattern"`
}

// TestHostlogs groups the multiline sample files with their preset and
// with the start pattern the sample data names, and checks the lines of
// every event against expected.json.
func TestHostlogs(t *testing.T) {
	expected := shared.Expected[hostlog](t)
	for file, preset := range map[string]string{
		"java-stacktrace.log":  "java",
		"python-traceback.log": "python",
		"go-panic.log":         "go",
	} {
		want, ok := expected["hostlogs/"+file]
		if !ok || len(want.LinesPerEvent) != want.Events {
			t.Fatalf("expected.json has no usable entry for hostlogs/%s: %+v", file, want)
		}
		input := shared.ReadFile(t, shared.Testdata(t, "hostlogs", file))
		presetRule, err := Preset(preset)
		if err != nil {
			t.Fatal(err)
		}
		rules := map[string]Rule{
			"preset " + preset:           presetRule,
			"start " + want.StartPattern: {Start: regexp.MustCompile(want.StartPattern)},
		}
		for name, rule := range rules {
			rule.MaxLines, rule.MaxBytes = 500, 1_048_550
			got, g := group(rule, input)
			var perEvent []int
			total := 0
			for _, r := range got {
				if r.Skip {
					t.Errorf("%s, %s: skip(%d)", file, name, r.End)
					continue
				}
				n := strings.Count(r.Msg, "\n") + 1
				perEvent = append(perEvent, n)
				total += n
			}
			if diff := cmp.Diff(want.LinesPerEvent, perEvent); diff != "" {
				t.Errorf("%s, %s: lines per event differ (-want +got):\n%s", file, name, diff)
			}
			if total != want.Lines || got[len(got)-1].End != int64(len(input)) {
				t.Errorf("%s, %s: %d lines up to offset %d, want %d lines up to %d",
					file, name, total, got[len(got)-1].End, want.Lines, len(input))
			}
			if g.Counts != (Counts{}) {
				t.Errorf("%s, %s: counts %+v, want none", file, name, g.Counts)
			}
		}
	}
}
