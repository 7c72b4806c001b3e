package frame

import (
	"bytes"
	"unicode/utf8"
)

// replacement is what stands in for an invalid byte or a NUL.
const replacement = "\uFFFD"

// isClean reports whether msg can be shipped as it is: valid UTF-8 without
// NUL bytes.
func isClean(msg []byte) bool {
	return utf8.Valid(msg) && bytes.IndexByte(msg, 0) < 0
}

// appendValid appends msg to dst with every byte that is not part of a
// valid UTF-8 sequence, and every NUL, replaced by U+FFFD.
func appendValid(dst, msg []byte, c *Counts) []byte {
	c.Replaced++
	for len(msg) > 0 {
		r, w := utf8.DecodeRune(msg)
		if r == 0 || (r == utf8.RuneError && w == 1) {
			dst = append(dst, replacement...)
		} else {
			dst = append(dst, msg[:w]...)
		}
		msg = msg[w:]
	}
	return dst
}

// sanitizedLen is the length of msg once made valid by appendValid.
func sanitizedLen(msg []byte) int {
	if isClean(msg) {
		return len(msg)
	}
	n := 0
	for len(msg) > 0 {
		r, w := utf8.DecodeRune(msg)
		n += runeLen(r, w)
		msg = msg[w:]
	}
	return n
}

// cutPoint returns the longest prefix of msg, ending on a sequence
// boundary, whose sanitized length is at most max. It is never empty, so
// a caller always makes progress.
func cutPoint(msg []byte, max int) int {
	i, n := 0, 0
	for i < len(msg) {
		r, w := utf8.DecodeRune(msg[i:])
		out := runeLen(r, w)
		if n+out > max {
			break
		}
		n += out
		i += w
	}
	if i == 0 && len(msg) > 0 {
		_, w := utf8.DecodeRune(msg)
		return w
	}
	return i
}

// runeLen is the sanitized length of the sequence DecodeRune returned.
func runeLen(r rune, w int) int {
	if r == 0 || (r == utf8.RuneError && w == 1) {
		return len(replacement)
	}
	return w
}
