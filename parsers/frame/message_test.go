package frame

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestMessage(t *testing.T) {
	x := func(n int) string { return strings.Repeat("x", n) }
	split, truncated := Counts{Split: 1}, Counts{Truncated: 1}
	tests := []struct {
		name    string
		msg     string
		max     int
		mode    Oversize
		markers bool
		want    []string
		count   Counts
	}{
		{name: "kept whole", msg: "a\nb\r\n", max: 100, want: []string{"a\nb\r\n"}},
		{name: "empty", msg: "", max: 100, count: Counts{Empty: 1}},
		{name: "invalid utf8 and nul", msg: "a\xff\x00b", max: 100,
			want: []string{"a\uFFFD\uFFFDb"}, count: Counts{Replaced: 1}},
		{name: "split", msg: "abcdefg", max: 3,
			want: []string{"abc", "def", "g"}, count: split},
		{name: "split on rune boundary", msg: "a€€", max: 5,
			want: []string{"a€", "€"}, count: split},
		{name: "split counts replacements", msg: "\xff\xff", max: 3,
			want: []string{"\uFFFD", "\uFFFD"}, count: Counts{Split: 1, Replaced: 2}},
		{name: "split with markers", msg: x(70), max: 40, markers: true,
			want: []string{x(26) + SplitMarker, x(26) + SplitMarker, x(18)}, count: split},
		{name: "split with markers, last piece fills the limit", msg: x(66), max: 40, markers: true,
			want: []string{x(26) + SplitMarker, x(40)}, count: split},
		{name: "markers need room", msg: "abcdefg", max: 3, markers: true,
			want: []string{"abc", "def", "g"}, count: split},
		{name: "truncate", msg: x(40), max: 30, mode: Truncate, markers: true,
			want: []string{x(16) + TruncatedMarker}, count: truncated},
		{name: "truncate without markers", msg: x(40), max: 30, mode: Truncate,
			want: []string{x(30)}, count: truncated},
		{name: "truncate tiny limit", msg: "abcdef", max: 4, mode: Truncate, markers: true,
			want: []string{"abcd"}, count: truncated},
	}
	for _, tt := range tests {
		var got []string
		var c Counts
		collect := func(p []byte) { got = append(got, string(p)) }
		Message([]byte(tt.msg), tt.max, tt.mode, tt.markers, &c, collect)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: pieces differ (-want +got):\n%s", tt.name, diff)
		}
		if c != tt.count {
			t.Errorf("%s: counts = %+v, want %+v", tt.name, c, tt.count)
		}
	}
}

// TestMessageLikeLines checks that a message without newlines is cut as
// Lines cuts the same line.
func TestMessageLikeLines(t *testing.T) {
	for _, markers := range []bool{false, true} {
		for _, mode := range []Oversize{Split, Truncate} {
			for _, msg := range []string{strings.Repeat("€", 100), strings.Repeat("ab\xff", 50), "short"} {
				l := NewLines(0, 40, mode)
				l.SetMarkers(markers)
				var want, got []string
				fromLines := func(m []byte, _ int64) { want = append(want, string(m)) }
				l.Feed([]byte(msg+"\n"), fromLines, func(int64) {})
				Message([]byte(msg), 40, mode, markers, new(Counts), func(p []byte) { got = append(got, string(p)) })
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("markers %v, mode %v, %q: Message differs from Lines (-lines +message):\n%s",
						markers, mode, msg, diff)
				}
			}
		}
	}
}

// TestMessageDoesNotWriteIntoInput checks that a piece with a marker never
// overwrites the caller's bytes after the cut.
func TestMessageDoesNotWriteIntoInput(t *testing.T) {
	msg := []byte(strings.Repeat("y", 80))
	Message(msg[:40], 30, Truncate, true, new(Counts), func([]byte) {})
	Message(msg[:60], 30, Split, true, new(Counts), func([]byte) {})
	if string(msg) != strings.Repeat("y", 80) {
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
		collect := func(p []byte) { pieces = append(pieces, string(p)) }
		Message(msg, max, m, false, new(Counts), collect)
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
		// With markers (room for them at 40 bytes), every piece fits.
		Message(msg, 40, m, true, new(Counts), func(p []byte) {
			if len(p) > 40 || !utf8.Valid(p) {
				t.Fatalf("bad piece with markers %q", p)
			}
		})
	})
}
