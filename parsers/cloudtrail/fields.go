package cloudtrail

import (
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/corral-logs/corral/parsers/record"
)

// Fields resets rec and fills it from msg, one CloudTrail record that must
// be valid JSON: every top-level string member becomes a String field
// (unescaped), every number and boolean a JSON field, and the scalar
// members of userIdentity fields named "userIdentity.<name>". Null members,
// other objects and arrays are left out: the message carries them, and
// copying a large requestParameters into fields would only cost memory.
// rec.Time is eventTime in Unix milliseconds, or 0 when it is missing or
// not a time.
func Fields(msg []byte, rec *record.Record) {
	rec.Reset()
	var key []byte
	members(msg, func(k, v []byte) {
		switch v[0] {
		case 'n':
			return
		case '{':
			if string(k) != "userIdentity" {
				return
			}
			members(v, func(k2, v2 []byte) {
				if v2[0] == 'n' || v2[0] == '{' || v2[0] == '[' {
					return
				}
				key = append(append(key[:0], "userIdentity."...), k2...)
				addScalar(rec, key, v2)
			})
		case '[':
			return
		default:
			addScalar(rec, k, v)
			if string(k) == "eventTime" {
				if s, _, ok := rec.Get("eventTime"); ok {
					if t, err := time.Parse(time.RFC3339Nano, string(s)); err == nil {
						rec.Time = t.UnixMilli()
					}
				}
			}
		}
	})
}

// addScalar adds a string (unescaped) or a number or boolean (as JSON).
func addScalar(rec *record.Record, key, v []byte) {
	if v[0] != '"' {
		rec.Add(key, v, record.JSON)
		return
	}
	buf := appendUnescaped(rec.Value(), v[1:len(v)-1])
	rec.Commit(key, buf, record.String)
}

// members calls fn with the unescaped key and the raw value of each member
// of the valid JSON object obj. The key is valid only during the call.
func members(obj []byte, fn func(key, value []byte)) {
	var key []byte
	i := skipSpace(obj, 1)
	for i < len(obj) && obj[i] == '"' {
		end := skipValue(obj, i)
		key = appendUnescaped(key[:0], obj[i+1:end-1])
		i = skipSpace(obj, end)
		i = skipSpace(obj, i+1) // the colon
		vend := skipValue(obj, i)
		fn(key, obj[i:vend])
		i = skipSpace(obj, vend)
		if i < len(obj) && obj[i] == ',' {
			i = skipSpace(obj, i+1)
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the valid JSON value starting at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		for i++; i < len(b); i++ {
			switch b[i] {
			case '\\':
				i++
			case '"':
				return i + 1
			}
		}
		return len(b)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = skipValue(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	default:
		for ; i < len(b); i++ {
			switch b[i] {
			case ' ', '\t', '\n', '\r', ',', '}', ']':
				return i
			}
		}
		return len(b)
	}
}

// appendUnescaped appends the text of the JSON string body s (without its
// quotes) to dst, as encoding/json decodes it: escapes resolved, invalid
// UTF-8 and unpaired surrogates replaced by U+FFFD.
func appendUnescaped(dst, s []byte) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			switch e := s[i]; e {
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				r, n := unicodeEscape(s[i-1:])
				dst = utf8.AppendRune(dst, r)
				i += n - 2
			default: // '"', '\\', '/'
				dst = append(dst, e)
			}
			i++
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			i++
		default:
			r, n := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && n == 1 {
				dst = utf8.AppendRune(dst, utf8.RuneError)
			} else {
				dst = append(dst, s[i:i+n]...)
			}
			i += n
		}
	}
	return dst
}

// unicodeEscape decodes the \uXXXX escape at the start of s, with the
// \uXXXX that follows when the first is a high surrogate, and returns the
// rune and the bytes used.
func unicodeEscape(s []byte) (rune, int) {
	r1 := hex4(s[2:6])
	if !utf16.IsSurrogate(r1) {
		return r1, 6
	}
	if len(s) >= 12 && s[6] == '\\' && s[7] == 'u' {
		if r := utf16.DecodeRune(r1, hex4(s[8:12])); r != utf8.RuneError {
			return r, 12
		}
	}
	return utf8.RuneError, 6
}

// hex4 reads four hex digits; valid JSON guarantees them.
func hex4(h []byte) rune {
	var r rune
	for _, c := range h {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}
