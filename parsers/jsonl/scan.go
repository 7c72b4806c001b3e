package jsonl

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"
)

// skipValue returns the index just past the JSON value that starts at
// b[i], or -1 if there is no valid value there. depth is the number of
// levels already open around it; the value may open levels up to
// MaxDepth. It walks nested values with an explicit stack (p.open), so
// deep input cannot grow the goroutine's stack.
func (p *Parser) skipValue(b []byte, i, depth int) int {
	base := depth
	for {
		// One value: a scalar, or the opening of an object or array.
		i = skipSpace(b, i)
		if i == len(b) {
			return -1
		}
		if c := b[i]; c == '{' || c == '[' {
			if depth >= MaxDepth {
				return -1
			}
			p.open[depth] = c
			depth++
			i = skipSpace(b, i+1)
			if i == len(b) || b[i] != c+2 { // '{'+2 is '}', '['+2 is ']'
				if c == '{' {
					i = skipKey(b, i)
				}
				if i < 0 {
					return -1
				}
				continue // the first element's value
			}
			depth--
			i++
		} else if i = skipScalar(b, i); i < 0 {
			return -1
		}

		if i, depth = p.afterValue(b, i, depth, base); i < 0 || depth == base {
			return i
		}
	}
}

// afterValue reads on from the end of a value nested depth levels deep.
// It closes the levels that end there, down to base, and returns the
// index and depth of the next value, past its comma and, in an object,
// its key; or the index past the value that ended at base, with depth
// base; or -1.
func (p *Parser) afterValue(b []byte, i, depth, base int) (int, int) {
	for depth > base {
		i = skipSpace(b, i)
		if i == len(b) {
			return -1, depth
		}
		open := p.open[depth-1]
		if b[i] == open+2 {
			depth--
			i++
			continue
		}
		if b[i] != ',' {
			return -1, depth
		}
		i++
		if open == '{' {
			i = skipKey(b, skipSpace(b, i))
		}
		return i, depth
	}
	return i, depth
}

// skipKey returns the index just past `"key":` at b[i], or -1.
func skipKey(b []byte, i int) int {
	if i == len(b) || b[i] != '"' {
		return -1
	}
	if i, _ = scanString(b, i); i < 0 {
		return -1
	}
	i = skipSpace(b, i)
	if i == len(b) || b[i] != ':' {
		return -1
	}
	return i + 1
}

// skipScalar returns the index just past the string, number, true, false
// or null at b[i], or -1.
func skipScalar(b []byte, i int) int {
	switch b[i] {
	case '"':
		end, _ := scanString(b, i)
		return end
	case 't':
		return skipLiteral(b, i, "true")
	case 'f':
		return skipLiteral(b, i, "false")
	case 'n':
		return skipLiteral(b, i, "null")
	}
	return skipNumber(b, i)
}

func skipLiteral(b []byte, i int, lit string) int {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}

// skipNumber returns the index just past the JSON number at b[i], or -1.
// What may follow a number is for the caller to check.
func skipNumber(b []byte, i int) int {
	if b[i] == '-' {
		i++
	}

	// The integer part: 0, or digits without a leading zero.
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = skipDigits(b, i)
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		j := skipDigits(b, i+1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := skipDigits(b, i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}

func skipDigits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

// scanString checks the JSON string whose opening quote is b[i]. It
// returns the index just past the closing quote and whether the string
// holds escapes, or -1 if the string is unterminated, holds a raw control
// character or a malformed escape.
func scanString(b []byte, i int) (end int, escaped bool) {
	for i++; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i + 1, escaped
		case c == '\\':
			escaped = true
			if i+1 == len(b) {
				return -1, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if len(b)-i < 6 || hex4(b[i+2:i+6]) < 0 {
					return -1, false
				}
				i += 5
			default:
				return -1, false
			}
		case c < 0x20:
			return -1, false
		}
	}
	return -1, false
}

// appendUnescaped appends the text of s, the inside of a string that
// scanString accepted, to dst.
func appendUnescaped(dst, s []byte) []byte {
	for {
		j := bytes.IndexByte(s, '\\')
		if j < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:j]...)
		s = s[j:]
		if s[1] != 'u' {
			dst = append(dst, unescapeByte[s[1]])
			s = s[2:]
			continue
		}
		r := hex4(s[2:6])
		s = s[6:]
		if utf16.IsSurrogate(r) {
			// Only a high half followed by a low half is a character.
			r2 := rune(-1)
			if r < 0xdc00 && len(s) >= 6 && s[0] == '\\' && s[1] == 'u' {
				r2 = hex4(s[2:6])
			}
			if r = utf16.DecodeRune(r, r2); r != utf8.RuneError {
				s = s[6:]
			}
		}
		dst = utf8.AppendRune(dst, r)
	}
}

// unescapeByte maps the letter of a one-letter escape to its byte.
var unescapeByte = [256]byte{
	'"': '"', '\\': '\\', '/': '/',
	'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t',
}

// hex4 returns the value of four hex digits, or -1.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// skipSpace returns the index of the first byte at or after b[i] that is
// not JSON whitespace.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}
