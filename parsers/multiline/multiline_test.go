package multiline

import (
	"bytes"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corral-logs/corral/internal/shared"
	"github.com/corral-logs/corral/parsers/frame"
)

// rec is one call of emit (Skip false) or skip (Skip true), in order.
type rec struct {
	Msg  string
	TS   int64
	End  int64
	Skip bool
}

func ev(msg string, ts, end int64) rec { return rec{Msg: msg, TS: ts, End: end} }
func sk(end int64) rec                 { return rec{End: end, Skip: true} }

// group frames input as the file tailer does (empty lines kept, lines cut
// at the event cap), groups the lines with rule r, flushes, and returns
// every emit and skip in order. A line's timestamp is its number, from 1.
func group(r Rule, input []byte) ([]rec, *Grouper) {
	max := r.MaxBytes
	if max <= 0 {
		max = 1 << 20
	}
	lines := frame.NewLines(0, max, frame.Split)
	lines.KeepEmpty(true)
	g := New(r)
	var recs []rec
	emit := func(msg []byte, ts, end int64) { recs = append(recs, ev(string(msg), ts, end)) }
	skip := func(end int64) { recs = append(recs, sk(end)) }
	n := int64(0)
	add := func(line []byte, end int64) {
		n++
		g.Add(line, n, end, emit, skip)
	}
	drop := func(end int64) { g.Skip(end, skip) }
	lines.Feed(input, add, drop)
	lines.Flush(add, drop)
	g.Flush(emit)
	return recs, g
}

var (
	startS  = regexp.MustCompile(`^S`)
	indent  = regexp.MustCompile(`^\s`)
	onlyS   = Rule{Start: startS}
	both    = Rule{Start: startS, Continue: indent}
	onlyCon = Rule{Continue: indent}
)

func TestGrouper(t *testing.T) {
	tests := []struct {
		name   string
		rule   Rule
		input  string
		want   []rec
		counts Counts
	}{
		{name: "start only", rule: onlyS, input: "a\nS1\n x\n\n y\n\nS2\nz\n",
			want:   []rec{ev("a", 1, 2), ev("S1\n x\n\n y", 2, 13), ev("S2\nz", 7, 18)},
			counts: Counts{Empty: 1}},
		{name: "start only: empty lines before any event", rule: onlyS, input: "\n\r\nS\n",
			want: []rec{sk(1), sk(3), ev("S", 3, 5)}, counts: Counts{Empty: 2}},
		{name: "start only: trailing empty lines flushed", rule: onlyS, input: "S\n x\n\n\n",
			want: []rec{ev("S\n x", 1, 7)}, counts: Counts{Empty: 2}},
		{name: "start and continue", rule: both, input: "x\nS\n a\n\n b\nc\n d\nS\n\nS\n",
			want: []rec{ev("x", 1, 2), ev("S\n a\n\n b", 2, 11), ev("c", 6, 13), ev(" d", 7, 16),
				ev("S", 8, 19), ev("S", 10, 21)},
			counts: Counts{Empty: 1}},
		{name: "start and continue: empty line outside an event", rule: both, input: "x\n\n y\n",
			want: []rec{ev("x", 1, 2), sk(3), ev(" y", 3, 6)}, counts: Counts{Empty: 1}},
		{name: "continue only", rule: onlyCon, input: " a\nb\n c\n\nd\n",
			want: []rec{ev(" a", 1, 3), ev("b\n c", 2, 9), ev("d", 5, 11)}, counts: Counts{Empty: 1}},
		{name: "neither", rule: Rule{}, input: "a\n\nb\n",
			want: []rec{ev("a", 1, 2), sk(3), ev("b", 3, 5)}, counts: Counts{Empty: 1}},
		{name: "max lines", rule: Rule{Start: startS, MaxLines: 2}, input: "S\na\nb\nc\nS\n",
			want: []rec{ev("S\na", 1, 4), ev("b\nc", 3, 8), ev("S", 5, 10)}, counts: Counts{Capped: 1}},
		{name: "max lines counts held empty lines", rule: Rule{Start: startS, MaxLines: 2},
			input: "S\n\na\n",
			want:  []rec{ev("S", 1, 3), ev("a", 3, 5)}, counts: Counts{Empty: 1, Capped: 1}},
		{name: "max bytes: the capped line opens an event",
			rule:  Rule{Start: startS, Continue: indent, MaxBytes: 6},
			input: "S\n ab\n cd\n e\n",
			want:  []rec{ev("S\n ab", 1, 6), ev(" cd\n e", 3, 13)}, counts: Counts{Capped: 1}},
		{name: "max bytes counts held empty lines", rule: Rule{Start: startS, MaxBytes: 4},
			input: "S\n\n\nab\n",
			want:  []rec{ev("S", 1, 4), ev("ab", 4, 7)}, counts: Counts{Empty: 2, Capped: 1}},
		{name: "no final newline", rule: onlyS, input: "S\n x",
			want: []rec{ev("S\n x", 1, 4)}},
	}
	for _, tt := range tests {
		got, g := group(tt.rule, []byte(tt.input))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: output differs (-want +got):\n%s", tt.name, diff)
		}
		if diff := cmp.Diff(tt.counts, g.Counts); diff != "" {
			t.Errorf("%s: counts differ (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestOpenAndFlush(t *testing.T) {
	g := New(onlyS)
	var got []rec
	emit := func(msg []byte, ts, end int64) { got = append(got, ev(string(msg), ts, end)) }
	skip := func(end int64) { got = append(got, sk(end)) }

	g.Flush(emit)
	g.Add([]byte("S"), 10, 2, emit, skip)
	g.Add([]byte(" at x"), 11, 8, emit, skip)
	if !g.Open() || len(got) != 0 {
		t.Fatalf("after two lines: Open() = %v with %v emitted, want an open event and nothing emitted",
			g.Open(), got)
	}
	g.Flush(emit)
	if g.Open() {
		t.Error("Open() after Flush = true")
	}
	g.Flush(emit)
	want := []rec{ev("S\n at x", 10, 8)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("output differs (-want +got):\n%s", diff)
	}
}

// TestSkip checks that input consumed without a line, such as the dropped
// rest of a truncated line, is passed on or joins the open event.
func TestSkip(t *testing.T) {
	g := New(onlyS)
	var got []rec
	emit := func(msg []byte, ts, end int64) { got = append(got, ev(string(msg), ts, end)) }
	skip := func(end int64) { got = append(got, sk(end)) }
	g.Skip(5, skip)
	g.Add([]byte("S"), 1, 7, emit, skip)
	g.Skip(20, skip)
	g.Add([]byte("S"), 2, 22, emit, skip)
	g.Flush(emit)
	want := []rec{sk(5), ev("S", 1, 20), ev("S", 2, 22)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("output differs (-want +got):\n%s", diff)
	}
}

// TestTruncatedLineInEvent frames with oversize truncate: the dropped rest
// of a long line belongs to the event holding its head.
func TestTruncatedLineInEvent(t *testing.T) {
	lines := frame.NewLines(0, 30, frame.Truncate)
	lines.KeepEmpty(true)
	g := New(Rule{Start: startS, MaxBytes: 30})
	var got []rec
	emit := func(msg []byte, ts, end int64) { got = append(got, ev(string(msg), ts, end)) }
	skip := func(end int64) { got = append(got, sk(end)) }
	input := "S\n" + "0123456789012345678901234567890123456789\nS\n"
	lines.Feed([]byte(input), func(line []byte, end int64) { g.Add(line, 1, end, emit, skip) },
		func(end int64) { g.Skip(end, skip) })
	g.Flush(emit)
	want := []rec{ev("S", 1, 2), ev("0123456789012345"+frame.TruncatedMarker, 1, 43), ev("S", 1, 45)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("output differs (-want +got):\n%s", diff)
	}
}

func BenchmarkGrouper(b *testing.B) {
	input := bytes.Repeat(shared.ReadFile(b, shared.Testdata(b, "hostlogs", "java-stacktrace.log")), 100)
	rule, _ := Preset("java")
	rule.MaxLines, rule.MaxBytes = 500, 1_048_550
	b.SetBytes(int64(len(input)))
	for b.Loop() {
		lines := frame.NewLines(0, rule.MaxBytes, frame.Split)
		lines.KeepEmpty(true)
		g := New(rule)
		emit := func([]byte, int64, int64) {}
		skip := func(int64) {}
		lines.Feed(input, func(line []byte, end int64) { g.Add(line, 0, end, emit, skip) },
			func(end int64) { g.Skip(end, skip) })
		g.Flush(emit)
	}
}
