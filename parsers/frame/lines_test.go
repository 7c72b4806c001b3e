package frame

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

type out struct {
	Msg string
	End int64
}

// frameAll feeds input in chunks of size chunk (all at once when 0), then
// flushes, and returns the messages with their end offsets and the skips.
func frameAll(input string, chunk, max int, mode Oversize) (msgs []out, skips []int64, c Counts) {
	return frameWith(input, chunk, max, mode, true)
}

// frameWith is frameAll with the markers on or off.
func frameWith(input string, chunk, max int, mode Oversize, markers bool) (msgs []out, skips []int64, c Counts) {
	l := NewLines(0, max, mode)
	l.SetMarkers(markers)
	emit := func(m []byte, end int64) { msgs = append(msgs, out{string(m), end}) }
	skip := func(end int64) { skips = append(skips, end) }
	b := []byte(input)
	if chunk <= 0 {
		chunk = len(b) + 1
	}
	for len(b) > 0 {
		n := min(chunk, len(b))
		l.Feed(b[:n], emit, skip)
		b = b[n:]
	}
	l.Flush(emit, skip)
	return msgs, skips, l.Counts
}

func TestLines(t *testing.T) {
	tests := []struct {
		name  string
		input string
		max   int
		mode  Oversize
		want  []out
		skips []int64
	}{
		{name: "lf", input: "a\nbb\n", want: []out{{"a", 2}, {"bb", 5}}},
		{name: "crlf", input: "a\r\nb\r\n\r\nc\rd\r\n", want: []out{{"a", 3}, {"b", 6}, {"c\rd", 13}}, skips: []int64{8}},
		{name: "empty lines", input: "\n\nx\n", want: []out{{"x", 4}}, skips: []int64{1, 2}},
		{name: "no final newline", input: "foo\nbar", want: []out{{"foo", 4}, {"bar", 7}}},
		{name: "invalid utf8", input: "a\xe9b\n\xe2\x82\n\x00z\n", want: []out{{"a\uFFFDb", 4}, {"\uFFFD\uFFFD", 7}, {"\uFFFDz", 10}}},
		{name: "split ascii", input: "abcdefg\nh\n", max: 3, want: []out{{"abc", 3}, {"def", 6}, {"g", 8}, {"h", 10}}},
		{name: "split on rune boundary", input: "a€€\n", max: 5, want: []out{{"a€", 4}, {"€", 8}}},
		{name: "truncate", input: strings.Repeat("x", 40) + "\nok\n", max: 30, mode: Truncate,
			want: []out{{strings.Repeat("x", 16) + TruncatedMarker, 16}, {"ok", 44}}, skips: []int64{41}},
	}
	for _, tt := range tests {
		if tt.max == 0 {
			tt.max = 100
		}
		for _, chunk := range []int{0, 1, 2, 7} {
			msgs, skips, _ := frameAll(tt.input, chunk, tt.max, tt.mode)
			if diff := cmp.Diff(tt.want, msgs); diff != "" {
				t.Errorf("%s (chunk %d): messages differ (-want +got):\n%s", tt.name, chunk, diff)
			}
			if diff := cmp.Diff(tt.skips, skips); diff != "" {
				t.Errorf("%s (chunk %d): skips differ (-want +got):\n%s", tt.name, chunk, diff)
			}
		}
	}
}

// TestOversizeCases checks the exact pieces cases B26 and B27 of the
// shared failure cases require with a 262,144-byte event limit, with the
// markers off (the cases' exact-bytes policy).
func TestOversizeCases(t *testing.T) {
	const max = 262_144 - 26
	lens := func(msgs []out) (n []int) {
		for _, m := range msgs {
			n = append(n, len(m.Msg))
		}
		return n
	}
	tests := []struct {
		name  string
		input string
		mode  Oversize
		want  []int
	}{
		{"B26 split", strings.Repeat("A", 300_000) + "\nsmall-after\n", Split, []int{262_118, 37_882, 11}},
		{"B26 truncate", strings.Repeat("A", 300_000) + "\nsmall-after\n", Truncate, []int{262_118, 11}},
		{"B27 euro split", strings.Repeat("€", 100_000) + "\n", Split, []int{262_116, 37_884}},
		{"B27 quotes one event", strings.Repeat(`"`, 262_118) + "\n", Split, []int{262_118}},
		{"B27 e-acute one event", strings.Repeat("é", 131_059) + "\n", Split, []int{262_118}},
	}
	for _, tt := range tests {
		for _, chunk := range []int{0, 65536, 4096} {
			msgs, _, _ := frameWith(tt.input, chunk, max, tt.mode, false)
			if diff := cmp.Diff(tt.want, lens(msgs)); diff != "" {
				t.Errorf("%s (chunk %d): sizes differ (-want +got):\n%s", tt.name, chunk, diff)
			}
			for _, m := range msgs {
				if !utf8.ValidString(m.Msg) {
					t.Errorf("%s: piece is not valid UTF-8", tt.name)
				}
			}
		}
	}
}

func FuzzLines(f *testing.F) {
	f.Add([]byte("a\nb\r\n\nc"), 3, uint8(0))
	f.Add([]byte("\xe2\x82\xac\xe2\x82\n\x00"), 1, uint8(1))
	f.Fuzz(func(t *testing.T, input []byte, chunk int, mode uint8) {
		const max = 8
		m := Oversize(mode % 2)
		whole, _, _ := frameAll(string(input), 0, max, m)
		if chunk < 1 {
			chunk = 1
		}
		pieces, _, _ := frameAll(string(input), chunk%17+1, max, m)
		if !cmp.Equal(whole, pieces) {
			t.Fatalf("chunking changed the output:\nwhole  %v\npieces %v", whole, pieces)
		}
		var last int64
		for _, o := range whole {
			if o.Msg == "" || len(o.Msg) > max || !utf8.ValidString(o.Msg) || strings.IndexByte(o.Msg, 0) >= 0 {
				t.Fatalf("bad message %q", o.Msg)
			}
			if o.End < last || o.End > int64(len(input)) {
				t.Fatalf("end offset %d out of order (last %d, input %d)", o.End, last, len(input))
			}
			last = o.End
		}
		if m == Split && utf8.Valid(input) && bytes.IndexByte(input, 0) < 0 && !bytes.Contains(input, []byte("\r")) {
			var joined []string
			for _, line := range strings.Split(string(input), "\n") {
				if line != "" {
					joined = append(joined, line)
				}
			}
			var got strings.Builder
			for _, o := range whole {
				got.WriteString(o.Msg)
			}
			if got.String() != strings.Join(joined, "") {
				t.Fatalf("split lost bytes: got %q want %q", got.String(), strings.Join(joined, ""))
			}
		}
	})
}

func TestMarkers(t *testing.T) {
	const max = 64
	line := strings.Repeat("a", 100) + "€" + strings.Repeat("b", 30)
	msgs, _, _ := frameAll(line+"\n", 0, max, Split)
	var joined strings.Builder
	for i, m := range msgs {
		if len(m.Msg) > max {
			t.Errorf("piece %d is %d bytes, over %d", i, len(m.Msg), max)
		}
		last := i == len(msgs)-1
		if strings.HasSuffix(m.Msg, SplitMarker) == last {
			t.Errorf("piece %d of %d: marker present = %v", i, len(msgs), !last)
		}
		joined.WriteString(strings.TrimSuffix(m.Msg, SplitMarker))
	}
	if joined.String() != line {
		t.Errorf("pieces without markers do not give the line back")
	}
	msgs, _, _ = frameAll(line+"\n", 7, max, Truncate)
	if len(msgs) != 1 || len(msgs[0].Msg) > max || !strings.HasSuffix(msgs[0].Msg, TruncatedMarker) {
		t.Errorf("truncated = %v", msgs)
	}
}
