package cloudwatch

import (
	"encoding/binary"
	"math/bits"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/corral-logs/corral/internal/byteset"
	"github.com/corral-logs/corral/pipeline"
)

// event is one event of a request, as the encoder sees it.
type event struct {
	ts  int64
	msg []byte
}

// collect appends r's events to dst, sorted by timestamp (stable, so equal
// timestamps keep read order).
func collect(dst []event, r *pipeline.Request) []event {
	sorted := true
	r.Each(func(ts int64, msg []byte) {
		if n := len(dst); n > 0 && dst[n-1].ts > ts {
			sorted = false
		}
		dst = append(dst, event{ts: ts, msg: msg})
	})
	if !sorted {
		slices.SortStableFunc(dst, func(a, b event) int {
			switch {
			case a.ts < b.ts:
				return -1
			case a.ts > b.ts:
				return 1
			}
			return 0
		})
	}
	return dst
}

// appendPutLogEvents appends the JSON body of a PutLogEvents request.
func appendPutLogEvents(dst []byte, dest pipeline.Dest, evs []event) []byte {
	dst = appendHead(dst, dest)
	var p eventPrefix
	for i, e := range evs {
		dst = p.appendEvent(dst, i, e)
	}
	return appendTail(dst)
}

// appendHead appends the start of a PutLogEvents body, up to the first
// event.
func appendHead(dst []byte, dest pipeline.Dest) []byte {
	dst = append(dst, `{"logGroupName":`...)
	dst = appendName(dst, dest.Group)
	dst = append(dst, `,"logStreamName":`...)
	dst = appendName(dst, dest.Stream)
	return append(dst, `,"logEvents":[`...)
}

// eventPrefix holds what comes before an event's message in a body,
// `,{"timestamp":T,"message":"`, for the last timestamp it was asked for.
// A request's events are sorted and runs of them share a millisecond
// (lines read together, a burst of a program's), so most events copy the
// prefix whole instead of formatting their timestamp again.
type eventPrefix struct {
	ts int64
	b  [64]byte // holds the longest prefix: an int64 has 20 characters
	n  int      // 0 until the first event
}

// appendEvent appends e, the i-th event of a body.
func (p *eventPrefix) appendEvent(dst []byte, i int, e event) []byte {
	if p.n == 0 || e.ts != p.ts {
		b := append(p.b[:0], `,{"timestamp":`...)
		b = strconv.AppendInt(b, e.ts, 10)
		b = append(b, `,"message":"`...)
		p.ts, p.n = e.ts, len(b)
	}
	from := 0
	if i == 0 {
		from = 1
	}
	dst = append(dst, p.b[from:p.n]...)
	dst = appendStringBody(dst, e.msg)
	return append(dst, '"', '}')
}

// appendTail appends the end of a body, after the last event.
func appendTail(dst []byte) []byte { return append(dst, "]}"...) }

// needsEscape marks the ASCII bytes that a JSON string must escape.
var needsEscape = func() (t [utf8.RuneSelf]bool) {
	for i := range 0x20 {
		t[i] = true
	}
	t['"'] = true
	t['\\'] = true
	return t
}()

const hexDigits = "0123456789abcdef"

// Bytes repeated in every lane of a word, to test 8 bytes at once.
const (
	lanes   = 0x0101010101010101
	highBit = 0x8080808080808080
)

// escapeMask flags the bytes of w, 8 bytes read little-endian, that JSON
// must escape: control bytes, quote and backslash. It tests "byte below n"
// with the borrow trick (w - n*lanes) &^ w, and a quote or backslash as a
// zero byte of w xor it. A borrow can flag bytes after a flagged one, never
// before it, so the lowest flag is exact; bytes from 0x80 up are never
// flagged.
func escapeMask(w uint64) uint64 {
	q := w ^ ('"' * lanes)
	b := w ^ ('\\' * lanes)
	return ((w-0x20*lanes)&^w | (q-lanes)&^q | (b-lanes)&^b) & highBit
}

// nextEscape returns the index of the first byte of msg from i on that
// JSON must escape, or len(msg): 8 bytes at a time, then one at a time.
func nextEscape(msg []byte, i int) int {
	for ; i+8 <= len(msg); i += 8 {
		if m := escapeMask(binary.LittleEndian.Uint64(msg[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(msg); i++ {
		if c := msg[i]; c < utf8.RuneSelf && needsEscape[c] {
			return i
		}
	}
	return len(msg)
}

// jsonEscapes is the set of needsEscape, for the vector search.
var jsonEscapes = func() *byteset.Set {
	s, err := byteset.New(func(c byte) bool { return c < utf8.RuneSelf && needsEscape[c] })
	if err != nil {
		panic(err) // three nibble classes: 0x00-0x1f, '"', '\\'
	}
	return s
}()

// escapeWindow is how many bytes of a message appendStringBody marks at
// once; their bitmap is on the stack.
const escapeWindow = 1024

// appendStringBody appends msg, which must be valid UTF-8, escaped as the
// inside of a JSON string. Where there is vector code it marks every byte
// to escape in one pass and copies the text between them whole, without a
// branch per byte; elsewhere it searches 8 bytes at a time.
func appendStringBody(dst, msg []byte) []byte {
	if !byteset.Fast() || len(msg) < 16 {
		return appendStringBodyWords(dst, msg)
	}
	var marks [escapeWindow / 64]uint64
	for len(msg) > 0 {
		w := msg[:min(len(msg), escapeWindow)]
		jsonEscapes.Mark(marks[:], w)
		from := 0
		for i, m := range marks[:byteset.Words(len(w))] {
			for ; m != 0; m &= m - 1 {
				at := i*64 + bits.TrailingZeros64(m)
				dst = append(dst, w[from:at]...)
				dst = appendEscape(dst, w[at])
				from = at + 1
			}
		}
		dst = append(dst, w[from:]...)
		msg = msg[len(w):]
	}
	return dst
}

// appendStringBodyWords is appendStringBody 8 bytes at a time.
func appendStringBodyWords(dst, msg []byte) []byte {
	for {
		j := nextEscape(msg, 0)
		dst = append(dst, msg[:j]...)
		if j == len(msg) {
			return dst
		}
		dst = appendEscape(dst, msg[j])
		msg = msg[j+1:]
	}
}

// appendName appends a group or stream name, valid UTF-8, as a JSON
// string: a few bytes once per request, so a byte at a time.
func appendName(dst []byte, name string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < utf8.RuneSelf && needsEscape[c] {
			dst = append(dst, name[start:i]...)
			dst = appendEscape(dst, c)
			start = i + 1
		}
	}
	dst = append(dst, name[start:]...)
	return append(dst, '"')
}

// appendEscape appends the JSON escape of the ASCII byte c.
func appendEscape(dst []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(dst, '\\', c)
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}
