package frame

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestMessage(t *testing.T) {
	tests := []struct {
		name  string
		msg   string
		max   int
		mode  Oversize
		want  []string
		count Counts
	}{
		{name: "kept whole", msg: "a\nb\r\n", max: 100, want: []string{"a\nb\r\n"}},
		{name: "empty", msg: "", max: 100, count: Counts{Empty: 1}},
		{name: "invalid utf8 and nul", msg: "a\xff\x00b", max: 100, want: []string{"a\uFFFD\uFFFDb"}, count: Counts{Replaced: 1}},
		{name: "split", msg: "abcdefg", max: 3, want: []string{"abc", "def", "g"}, count: Counts{Split: 1}},
		{name: "split on rune boundary", msg: "a€€", max: 5, want: []string{"a€", "€"}, count: Counts{Split: 1}},
		{name: "split counts replacements", msg: "\xff\xff", max: 3, want: []string{"\uFFFD", "\uFFFD"},
			count: Counts{Split: 1, Replaced: 2}},
		{name: "truncate", msg: strings.Repeat("x", 40), max: 30, mode: Truncate,
			want: []string{strings.Repeat("x", 16) + TruncatedMarker}, count: Counts{Truncated: 1}},
		{name: "truncate tiny limit", msg: "abcdef", max: 4, mode: Truncate, want: []string{"abcd"}, count: Counts{Truncated: 1}},
	}
	for _, tt := range tests {
		var got []string
		var c Counts
		Message([]byte(tt.msg), tt.max, tt.mode, &c, func(p []byte) { got = append(got, string(p)) })
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: pieces differ (-want +got):\n%s", tt.name, diff)
		}
		if c != tt.count {
			t.Errorf("%s: counts = %+v, want %+v", tt.name, c, tt.count)
		}
	}
}

// TestMessageDoesNotWriteIntoInput checks that a truncated piece never
// overwrites the caller's bytes after the cut.
func TestMessageDoesNotWriteIntoInput(t *testing.T) {
	msg := []byte(strings.Repeat("y", 40))
	Message(msg[:40:40], 30, Truncate, new(Counts), func([]byte) {})
	Message(msg[:35], 30, Truncate, new(Counts), func([]byte) {})
	if string(msg) != strings.Repeat("y", 40) {
		t.Errorf("input changed to %q", msg)
	}
}

func FuzzMessage(f *testing.F) {
	f.Add([]byte("a\nb\r\n"), uint8(0))
	f.Add([]byte("\xe2\x82\xac\xe2\x82\x00"), uint8(1))
	f.Fuzz(func(t *testing.T, msg []byte, mode uint8) {
		const max = 8
		m := Oversize(mode % 2)
		var pieces []string
		Message(msg, max, m, new(Counts), func(p []byte) { pieces = append(pieces, string(p)) })
		if len(msg) == 0 && len(pieces) > 0 {
			t.Fatalf("empty message gave %q", pieces)
		}
		for _, p := range pieces {
			if p == "" || len(p) > max || !utf8.ValidString(p) || strings.IndexByte(p, 0) >= 0 {
				t.Fatalf("bad piece %q", p)
			}
		}
		if m == Split && utf8.Valid(msg) && strings.IndexByte(string(msg), 0) < 0 {
			if got := strings.Join(pieces, ""); got != string(msg) {
				t.Fatalf("split lost bytes: got %q want %q", got, msg)
			}
		}
	})
}
