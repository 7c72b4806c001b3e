package frame

import (
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// rec is one call of emit (Skip false) or skip (Skip true), in order.
type rec struct {
	Msg  string
	End  int64
	Skip bool
}

// framer is what a test configures of a Lines.
type framer struct {
	start     int64
	max       int
	mode      Oversize
	enc       Encoding
	keepEmpty bool
}

func em(msg string, end int64) rec { return rec{Msg: msg, End: end} }
func sk(end int64) rec             { return rec{End: end, Skip: true} }

func (f framer) new() *Lines {
	l := NewLines(f.start, f.max, f.mode)
	l.SetEncoding(f.enc)
	l.KeepEmpty(f.keepEmpty)
	return l
}

// frameRecs feeds input in chunks of size chunk (all at once when 0),
// flushes, and returns every emit and skip in order.
func frameRecs(f framer, input []byte, chunk int) ([]rec, Counts) {
	l := f.new()
	var recs []rec
	emit := func(m []byte, end int64) { recs = append(recs, rec{Msg: string(m), End: end}) }
	skip := func(end int64) { recs = append(recs, rec{End: end, Skip: true}) }
	if chunk <= 0 {
		chunk = len(input) + 1
	}
	for b := input; len(b) > 0; {
		n := min(chunk, len(b))
		l.Feed(b[:n], emit, skip)
		b = b[n:]
	}
	l.Flush(emit, skip)
	return recs, l.Counts
}

// le and be encode units as UTF-16; text gives a string's units, so that
// tests can mix text with lone surrogates.
func le(units ...uint16) []byte {
	var b []byte
	for _, u := range units {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

func be(units ...uint16) []byte {
	var b []byte
	for _, u := range units {
		b = append(b, byte(u>>8), byte(u))
	}
	return b
}

func text(s string) []uint16 { return utf16.Encode([]rune(s)) }

func cat(parts ...[]uint16) []uint16 {
	var all []uint16
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}

const bomUnit = 0xFEFF

func TestEncodings(t *testing.T) {
	tests := []struct {
		name  string
		f     framer
		input []byte
		want  []rec
		count Counts
	}{
		{name: "utf-8 keep empty", f: framer{keepEmpty: true}, input: []byte("a\n\n\r\nb"),
			want: []rec{em("a", 2), em("", 3), em("", 5), em("b", 6)}},
		{name: "latin1", f: framer{enc: Latin1}, input: []byte("caf\xe9\n\x00\xff\r\n\n"),
			want:  []rec{em("café", 5), em("\uFFFDÿ", 9), sk(10)},
			count: Counts{Empty: 1, Replaced: 1}},
		{name: "latin1 split counts raw bytes", f: framer{enc: Latin1, max: 3},
			input: []byte("\xe9\xe9x\n"),
			want:  []rec{em("é", 1), em("éx", 4)}, count: Counts{Split: 1}},
		{name: "utf-16le bom crlf empty", f: framer{enc: UTF16LE},
			input: le(cat([]uint16{bomUnit}, text("a\r\n\r\nb"))...),
			want:  []rec{em("a", 8), sk(12), em("b", 14)}, count: Counts{Empty: 1}},
		{name: "utf-16le keep empty", f: framer{enc: UTF16LE, keepEmpty: true},
			input: le(text("\n\r\nx\n")...),
			want:  []rec{em("", 2), em("", 6), em("x", 10)}},
		{name: "utf-16be bom", f: framer{enc: UTF16BE},
			input: be(cat([]uint16{bomUnit}, text("a\nbc\n"))...),
			want:  []rec{em("a", 6), em("bc", 12)}},
		{name: "utf-16le bom only at offset 0", f: framer{enc: UTF16LE},
			input: le(text("a\uFEFF\n\uFEFF\n")...),
			want:  []rec{em("a\uFEFF", 6), em("\uFEFF", 10)}},
		{name: "utf-16le newline only as a unit", f: framer{enc: UTF16LE},
			input: le(text("\u0A00\u010A\n")...),
			want:  []rec{em("\u0A00\u010A", 6)}},
		{name: "utf-16be newline only as a unit", f: framer{enc: UTF16BE},
			input: be(text("\u0A00\u010A\n")...),
			want:  []rec{em("\u0A00\u010A", 6)}},
		{name: "utf-16le surrogate pair", f: framer{enc: UTF16LE}, input: le(text("𝄞x\n")...),
			want: []rec{em("𝄞x", 8)}},
		{name: "utf-16le lone surrogates", f: framer{enc: UTF16LE},
			input: le(0xD800, 'a', '\n', 0xDC00, 0xDC00, '\n', 0xD800, 0xD800, 0xDC00, '\n', 'z', 0xD800),
			want: []rec{em("\uFFFDa", 6), em("\uFFFD\uFFFD", 12), em("\uFFFD\U00010000", 20),
				em("z\uFFFD", 24)},
			count: Counts{Replaced: 4}},
		{name: "utf-16le nul", f: framer{enc: UTF16LE}, input: le(text("a\x00\n")...),
			want: []rec{em("a\uFFFD", 6)}, count: Counts{Replaced: 1}},
		{name: "utf-16le split offsets", f: framer{enc: UTF16LE, max: 4},
			input: le(text("ab€cd\n𝄞\n")...),
			want:  []rec{em("ab", 4), em("€c", 8), em("d", 12), em("𝄞", 18)},
			count: Counts{Split: 1}},
		{name: "utf-16le split while held", f: framer{enc: UTF16LE, max: 3},
			input: le(text("abcdefghij\n")...),
			want:  []rec{em("abc", 6), em("def", 12), em("ghi", 18), em("j", 22)},
			count: Counts{Split: 1}},
		{name: "utf-16le truncate", f: framer{enc: UTF16LE, max: 30, mode: Truncate},
			input: le(text(strings.Repeat("x", 40) + "\nok\n")...),
			want:  []rec{em(strings.Repeat("x", 16)+TruncatedMarker, 32), sk(82), em("ok", 88)},
			count: Counts{Truncated: 1}},
		{name: "utf-16le odd start drops half a unit", f: framer{enc: UTF16LE, start: 3},
			input: le(text("a\nb\n")...)[3:], want: []rec{em("b", 8)}},
		{name: "utf-16le odd last byte stays held", f: framer{enc: UTF16LE},
			input: append(le(text("a\nbc")...), 'd'), want: []rec{em("a", 4), em("bc", 8)}},
	}
	for _, tt := range tests {
		if tt.f.max == 0 {
			tt.f.max = 100
		}
		for _, chunk := range []int{0, 1, 2, 3, 5} {
			got, count := frameRecs(tt.f, tt.input, chunk)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s (chunk %d): output differs (-want +got):\n%s", tt.name, chunk, diff)
			}
			if diff := cmp.Diff(tt.count, count); diff != "" {
				t.Errorf("%s (chunk %d): counts differ (-want +got):\n%s", tt.name, chunk, diff)
			}
		}
	}
}

// TestFlushKeepsHalfUnit checks that a UTF-16 input flushed after an odd
// number of bytes goes on aligned when the writer completes the unit.
func TestFlushKeepsHalfUnit(t *testing.T) {
	l := NewLines(0, 100, Split)
	l.SetEncoding(UTF16LE)
	var got []rec
	emit := func(m []byte, end int64) { got = append(got, rec{Msg: string(m), End: end}) }
	skip := func(end int64) { got = append(got, rec{End: end, Skip: true}) }
	input := le(text("ab\nc\n")...)
	l.Feed(input[:5], emit, skip)
	if l.Pending() != 2 {
		t.Errorf("Pending() = %d, want 2 (the half unit is not shipped)", l.Pending())
	}
	l.Flush(emit, skip)
	if l.Pending() != 0 {
		t.Errorf("Pending() after Flush = %d, want 0", l.Pending())
	}
	l.Feed(input[5:], emit, skip)
	l.Flush(emit, skip)
	want := []rec{em("ab", 4), sk(6), em("c", 10)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("output differs (-want +got):\n%s", diff)
	}
}

func TestParseEncoding(t *testing.T) {
	for _, e := range []Encoding{UTF8, Latin1, UTF16LE, UTF16BE} {
		got, err := ParseEncoding(e.String())
		if err != nil || got != e {
			t.Errorf("ParseEncoding(%q) = %v, %v; want %v", e.String(), got, err, e)
		}
	}
	if got, err := ParseEncoding(""); err != nil || got != UTF8 {
		t.Errorf("ParseEncoding(\"\") = %v, %v; want utf-8", got, err)
	}
	if _, err := ParseEncoding("utf-16"); err == nil {
		t.Error("ParseEncoding(\"utf-16\") succeeded, want an error")
	}
}

// decodeRange decodes raw, a range of the input that starts at offset
// from, independently of the framer: what a message over that range must
// read once its terminator is removed and it is made valid.
func decodeRange(enc Encoding, raw []byte, from int64) string {
	var s string
	switch enc {
	case Latin1:
		var b strings.Builder
		for _, c := range raw {
			b.WriteRune(rune(c))
		}
		s = b.String()
	case UTF16LE, UTF16BE:
		units := make([]uint16, 0, len(raw)/2)
		for i := 0; i+1 < len(raw); i += 2 {
			if enc == UTF16LE {
				units = append(units, uint16(raw[i])|uint16(raw[i+1])<<8)
			} else {
				units = append(units, uint16(raw[i])<<8|uint16(raw[i+1]))
			}
		}
		if from == 0 && len(units) > 0 && units[0] == bomUnit {
			units = units[1:]
		}
		s = string(utf16.Decode(units))
	default:
		s = string(appendValid(nil, raw, &Counts{}))
	}
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}

func FuzzEncodings(f *testing.F) {
	withBOM := cat([]uint16{bomUnit}, text("a\r\n\n𝄞€x\n"), []uint16{0xD800, '\n'})
	f.Add(le(withBOM...), 3, uint8(2), uint8(0))
	f.Add(be(text("ab\ncdefghijk\r\n\x00")...), 1, uint8(3), uint8(1))
	f.Add([]byte("caf\xe9\n\n\xff\r\nlonger line\n"), 2, uint8(1), uint8(4))
	f.Add([]byte("a\xe2\x82\n\nb"), 5, uint8(0), uint8(5))
	f.Fuzz(func(t *testing.T, input []byte, chunk int, enc, flags uint8) {
		const max = 8
		fr := framer{max: max, enc: Encoding(enc % 4), mode: Oversize(flags % 2), keepEmpty: flags&2 != 0}
		whole, wholeCount := frameRecs(fr, input, 0)
		if chunk < 1 {
			chunk = 1
		}
		pieces, piecesCount := frameRecs(fr, input, chunk%17+1)
		if !cmp.Equal(whole, pieces) || wholeCount != piecesCount {
			t.Fatalf("chunking changed the output:\nwhole  %v %+v\npieces %v %+v",
				whole, wholeCount, pieces, piecesCount)
		}

		// Every record covers the input from the previous one's end; its
		// message is what that range decodes to.
		var prev int64
		for i, r := range whole {
			if r.End <= prev || r.End > int64(len(input)) {
				t.Fatalf("record %d: end %d out of order (previous %d, input %d)", i, r.End, prev, len(input))
			}
			if fr.enc.utf16() && r.End%2 != 0 {
				t.Fatalf("record %d: end %d is not on a UTF-16 unit boundary", i, r.End)
			}
			if len(r.Msg) > max || !utf8.ValidString(r.Msg) || strings.IndexByte(r.Msg, 0) >= 0 {
				t.Fatalf("record %d: bad message %q", i, r.Msg)
			}
			if r.Msg == "" && !r.Skip && !fr.keepEmpty {
				t.Fatalf("record %d: empty message", i)
			}
			want := decodeRange(fr.enc, input[prev:r.End], prev)
			if line, ok := strings.CutSuffix(want, "\n"); ok {
				want = strings.TrimSuffix(line, "\r")
			} else if i == len(whole)-1 {
				want = strings.TrimSuffix(want, "\r") // flushed
			}
			switch {
			case r.Skip && fr.mode == Split && (want != "" || fr.keepEmpty):
				t.Fatalf("record %d: skipped %q (input %d to %d)", i, want, prev, r.End)
			case !r.Skip && r.Msg != want:
				t.Fatalf("record %d: message %q, input %d to %d reads %q", i, r.Msg, prev, r.End, want)
			}
			prev = r.End
		}

		// Everything is accounted for, but a byte order mark with nothing
		// after it and half a UTF-16 unit at the end.
		rest := input[prev:]
		if fr.enc.utf16() {
			if prev == 0 && len(rest) >= 2 && decodeRange(fr.enc, rest[:2], 1) == "\uFEFF" {
				rest = rest[2:]
			}
			rest = rest[:len(rest)-len(input)%2]
		}
		if len(rest) > 0 {
			t.Fatalf("input %d bytes: last end %d leaves %q", len(input), prev, rest)
		}
	})
}

func BenchmarkEncodings(b *testing.B) {
	line := "2026-03-20 10:00:00.123 INFO [main] com.example.App - request served in 12 ms, café ✓\n"
	inputs := map[Encoding][]byte{
		UTF8:    []byte(strings.Repeat(line, 700)),
		Latin1:  []byte(strings.Repeat(strings.NewReplacer("é", "\xe9", "✓", "v").Replace(line), 700)),
		UTF16LE: le(text(strings.Repeat(line, 700))...),
	}
	for _, enc := range []Encoding{UTF8, Latin1, UTF16LE} {
		input := inputs[enc]
		b.Run(enc.String(), func(b *testing.B) {
			b.SetBytes(int64(len(input)))
			emit := func([]byte, int64) {}
			skip := func(int64) {}
			for b.Loop() {
				l := NewLines(0, 1<<20, Split)
				l.SetEncoding(enc)
				for p := input; len(p) > 0; {
					n := min(len(p), 64<<10)
					l.Feed(p[:n], emit, skip)
					p = p[n:]
				}
			}
		})
	}
}
