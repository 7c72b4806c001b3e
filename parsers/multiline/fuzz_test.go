package multiline

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/corral-logs/corral/parsers/frame"
)

// framed is one call the framer made: a line (Skip false) or input
// consumed without one.
type framed struct {
	line string
	ts   int64
	end  int64
	skip bool
}

func FuzzGrouper(f *testing.F) {
	f.Add([]byte("a\nS1\n x\n\n y\n\nS2\nz\n"), uint8(1), uint8(0), uint8(0), false)
	f.Add([]byte("x\nS\n a\n\n b\nc\n d\nS\n\nS\n"), uint8(3), uint8(3), uint8(9), false)
	f.Add([]byte(" a\nb\n c\n\nd\n\n\n"), uint8(2), uint8(2), uint8(5), true)
	f.Add([]byte("S\n\xe2\x82\xac\xe2\x82\n\x00 longer than the cap\n\n"),
		uint8(1), uint8(0), uint8(8), true)
	f.Fuzz(func(t *testing.T, input []byte, mode, maxLines, maxBytes uint8, truncate bool) {
		rule := [4]Rule{{}, onlyS, onlyCon, both}[mode%4]
		rule.MaxLines = int(maxLines % 6) // 0: no cap
		limit := 64
		if rule.MaxBytes = int(maxBytes % 24); rule.MaxBytes < 4 {
			rule.MaxBytes = 0 // no cap; a cap under 4 bytes cannot hold every character
		} else {
			limit = rule.MaxBytes
		}
		oversize := frame.Split
		if truncate {
			oversize = frame.Truncate
		}

		// Frame as the tailer does, recording what the framer passed on.
		lines := frame.NewLines(0, limit, oversize)
		lines.KeepEmpty(true)
		g := New(rule)
		var in []framed
		var out []rec
		emit := func(msg []byte, ts, end int64) { out = append(out, ev(string(msg), ts, end)) }
		skip := func(end int64) { out = append(out, sk(end)) }
		add := func(line []byte, end int64) {
			ts := int64(len(in) + 1)
			in = append(in, framed{line: string(line), ts: ts, end: end})
			g.Add(line, ts, end, emit, skip)
		}
		drop := func(end int64) {
			in = append(in, framed{end: end, skip: true})
			g.Skip(end, skip)
		}
		lines.Feed(input, add, drop)
		lines.Flush(add, drop)
		g.Flush(emit)
		if g.Open() {
			t.Fatal("an event is open after Flush")
		}

		// Each record covers the framer's calls since the previous one.
		next := 0
		var last int64
		for i, r := range out {
			if r.End <= last {
				t.Fatalf("record %d: end %d after %d", i, r.End, last)
			}
			last = r.End
			first := next
			for next < len(in) && in[next].end < r.End {
				next++
			}
			if next == len(in) || in[next].end != r.End {
				t.Fatalf("record %d: end %d is no end of a framed line", i, r.End)
			}
			next++
			span := in[first:next]
			if r.Skip {
				if len(span) != 1 || !span[0].skip && span[0].line != "" {
					t.Fatalf("record %d: skip(%d) over %+v", i, r.End, span)
				}
				continue
			}
			checkEvent(t, rule, i, r, span)
		}
		if next != len(in) {
			t.Fatalf("framed input from %d on is not accounted for: %+v", next, in[next:])
		}
	})
}

// checkEvent checks event r against span, the framer's calls it covers.
func checkEvent(t *testing.T, rule Rule, i int, r rec, span []framed) {
	t.Helper()
	if r.Msg == "" || !utf8.ValidString(r.Msg) || rule.MaxBytes > 0 && len(r.Msg) > rule.MaxBytes {
		t.Fatalf("record %d: bad message %q", i, r.Msg)
	}
	if span[0].skip || span[0].line == "" || r.TS != span[0].ts {
		t.Fatalf("record %d: event at %d starts with %+v", i, r.TS, span[0])
	}
	var joined []string
	for _, s := range span {
		if !s.skip {
			joined = append(joined, s.line)
		}
	}
	for joined[len(joined)-1] == "" {
		joined = joined[:len(joined)-1]
	}
	if want := strings.Join(joined, "\n"); r.Msg != want {
		t.Fatalf("record %d: message %q, its lines join to %q", i, r.Msg, want)
	}
	if rule.MaxLines > 0 && len(joined) > rule.MaxLines {
		t.Fatalf("record %d: %d lines, cap %d", i, len(joined), rule.MaxLines)
	}
}
