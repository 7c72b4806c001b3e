package frame

import (
	"fmt"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// Encoding is the text encoding of an input. Whatever the encoding,
// messages are UTF-8 and offsets are offsets in the raw input.
type Encoding int

const (
	// UTF8 frames the raw bytes; invalid sequences become U+FFFD.
	UTF8 Encoding = iota
	// Latin1 is ISO 8859-1: every byte is the code point of its value.
	Latin1
	// UTF16LE is UTF-16, little endian. A line ends at the unit 0x000A at
	// an even offset from the start of the input; a byte order mark at
	// offset 0 is dropped; a lone surrogate becomes U+FFFD.
	UTF16LE
	// UTF16BE is UTF-16, big endian, framed like UTF16LE.
	UTF16BE
)

// encodingNames are the names ParseEncoding accepts, as written in the
// configuration's encoding key.
var encodingNames = [...]string{
	UTF8:    "utf-8",
	Latin1:  "latin1",
	UTF16LE: "utf-16le",
	UTF16BE: "utf-16be",
}

// ParseEncoding returns the encoding named s: utf-8, latin1, utf-16le or
// utf-16be. The empty string is UTF8.
func ParseEncoding(s string) (Encoding, error) {
	if s == "" {
		return UTF8, nil
	}
	for e, name := range encodingNames {
		if s == name {
			return Encoding(e), nil
		}
	}
	return UTF8, fmt.Errorf("parse encoding: unknown encoding %q (want %s, %s, %s or %s)",
		s, UTF8, Latin1, UTF16LE, UTF16BE)
}

// String returns the encoding's name as ParseEncoding accepts it.
func (e Encoding) String() string {
	if e < 0 || int(e) >= len(encodingNames) {
		return fmt.Sprintf("Encoding(%d)", int(e))
	}
	return encodingNames[e]
}

func (e Encoding) utf16() bool { return e == UTF16LE || e == UTF16BE }

// loneSurrogate stands for a UTF-16 unit that is a surrogate without its
// pair. It is never part of valid UTF-8, so the sanitizer replaces it with
// U+FFFD and counts the event as Replaced, as for invalid UTF-8 input.
const loneSurrogate = 0xFF

// width is the number of raw input bytes that decoded text s came from.
// For UTF-8 input s is the raw bytes. Decoded text holds whole
// characters only: valid UTF-8 and, for UTF-16, loneSurrogate bytes.
func (l *Lines) width(s []byte) int64 {
	switch l.enc {
	case Latin1:
		return int64(utf8.RuneCount(s))
	case UTF16LE, UTF16BE:
		n := int64(0)
		for _, b := range s {
			if b&0xC0 != 0x80 { // a character's first byte, or loneSurrogate
				n += 2
				if b >= 0xF0 && b <= 0xF4 { // 4 UTF-8 bytes: a surrogate pair
					n += 2
				}
			}
		}
		return n
	}
	return int64(len(s))
}

// newline is the number of raw bytes of a line terminator.
func (l *Lines) newline() int64 {
	if l.enc.utf16() {
		return 2
	}
	return 1
}

// decodeBuffers hold a chunk's decoded form during Feed only, so that
// idle inputs hold no decoding memory.
var decodeBuffers = sync.Pool{New: func() any { return new([]byte) }}

// decode appends the UTF-8 form of p, the next raw bytes, to d.
func (l *Lines) decode(d, p []byte) []byte {
	if l.enc == Latin1 {
		for _, b := range p {
			d = utf8.AppendRune(d, rune(b))
		}
		return d
	}

	// UTF-16: an input read from an odd offset starts with the second
	// half of a unit, which is dropped; a byte order mark at offset 0 is
	// dropped too. Both happen before any line, so the next line's start
	// moves past them.
	if l.align && len(p) > 0 {
		l.align = false
		l.next++
		p = p[1:]
	}

	// Complete a character cut by the previous chunk one byte at a time;
	// the tail never holds more than a pair.
	for (len(l.tail) > 0 || l.bom) && len(p) > 0 {
		l.tail = append(l.tail, p[0])
		p = p[1:]
		if l.bom {
			if len(l.tail) < 2 {
				continue
			}
			l.bom = false
			if l.unit(l.tail) == 0xFEFF {
				l.tail = l.tail[:0]
				l.next += 2
				continue
			}
		}
		var n int
		d, n = l.decodeUTF16(d, l.tail)
		l.tail = append(l.tail[:0], l.tail[n:]...)
	}
	d, n := l.decodeUTF16(d, p)
	l.tail = append(l.tail, p[n:]...)
	return d
}

// decodeUTF16 appends the characters of src's complete units to dst and
// returns it with the number of bytes used. It leaves an odd last byte,
// and a last unit that may be the first of a surrogate pair.
func (l *Lines) decodeUTF16(dst, src []byte) ([]byte, int) {
	i := 0
	for i+1 < len(src) {
		u := l.unit(src[i:])
		switch {
		case u < utf8.RuneSelf:
			dst = append(dst, byte(u))
			i += 2
		case u >= 0xD800 && u < 0xDC00: // first of a pair
			if i+3 >= len(src) {
				return dst, i
			}
			if r := utf16.DecodeRune(u, l.unit(src[i+2:])); r != utf8.RuneError {
				dst = utf8.AppendRune(dst, r)
				i += 4
				continue
			}
			dst = append(dst, loneSurrogate)
			i += 2
		case utf16.IsSurrogate(u):
			dst = append(dst, loneSurrogate)
			i += 2
		default:
			dst = utf8.AppendRune(dst, u)
			i += 2
		}
	}
	return dst, i
}

// unit reads the UTF-16 unit at the start of b.
func (l *Lines) unit(b []byte) rune {
	if l.enc == UTF16BE {
		return rune(b[0])<<8 | rune(b[1])
	}
	return rune(b[1])<<8 | rune(b[0])
}

// flushTail decodes a held first unit of a pair as a lone surrogate: the
// input ended before its pair. An odd last byte stays held: it is half a
// unit, and keeping it keeps units aligned if the input grows.
func (l *Lines) flushTail() {
	if len(l.tail) < 2 {
		return
	}
	if l.discard {
		l.next += 2
	} else {
		l.carry = append(l.carry, loneSurrogate)
	}
	l.tail = append(l.tail[:0], l.tail[2:]...)
}
