// Package logfmt parses logfmt lines: `key=value key2="quoted \"value\"" flag`.
//
// A line is a run of tokens separated by spaces or tabs. Each token
// becomes one record.String field, in order:
//
//   - key=value: the value runs to the next space or tab and may itself
//     hold '=' or '"' (a URL's query, say); key= gives an empty value.
//   - key="quoted value": the value runs to the closing quote, with \"
//     \\ \n \t and \r unescaped; any other backslash is kept as written.
//     The closing quote must end the token.
//   - key alone (a flag): a field with an empty value.
//
// A key is one or more bytes other than space, control characters, '='
// and '"'. Keys may repeat; every occurrence is kept.
//
// A line is Failed, and so shipped as it was, when it holds no key=value
// token at all (plain prose such as "hello world" would otherwise become
// a field per word), when a token starts with '=' or '"' or has '"' in its
// key, or when a quoted value is not closed. A line of prose with one '='
// in it therefore parses: it is a valid logfmt line.
//
// The parser sets neither Time nor Message, and allocates nothing once the
// record's buffers have grown.
package logfmt

import (
	"bytes"

	"github.com/corral-logs/corral/parsers/record"
)

// Parser parses logfmt lines. It keeps no state from one line to the next.
type Parser struct{}

// New returns a logfmt parser.
func New() *Parser { return &Parser{} }

// Parse resets r and fills it with the tokens of line.
func (p *Parser) Parse(line []byte, r *record.Record) record.Result {
	r.Reset()
	pairs := 0
	for i := skipSpace(line, 0); i < len(line); i = skipSpace(line, i) {
		// The key, then a flag's end or '='.
		start := i
		for i < len(line) && isKeyByte(line[i]) {
			i++
		}
		key := line[start:i]
		if len(key) == 0 {
			return record.Failed
		}
		if i == len(line) || isSpace(line[i]) {
			r.Add(key, nil, record.String)
			continue
		}
		if line[i] != '=' {
			return record.Failed
		}
		i++
		pairs++

		// The value, quoted or bare.
		if i < len(line) && line[i] == '"' {
			if i = quoted(line, i, key, r); i < 0 {
				return record.Failed
			}
			if i < len(line) && !isSpace(line[i]) {
				return record.Failed
			}
			continue
		}
		start = i
		for i < len(line) && !isSpace(line[i]) {
			i++
		}
		r.Add(key, line[start:i], record.String)
	}
	if pairs == 0 {
		return record.Failed
	}
	return record.Parsed
}

// quoted adds the field key with the quoted value whose opening quote is
// line[i], and returns the index just past the closing quote, or -1 when
// there is none.
func quoted(line []byte, i int, key []byte, r *record.Record) int {
	start := i + 1
	escaped := false
	for i = start; i < len(line); i++ {
		switch line[i] {
		case '\\':
			escaped = true
			i++ // whatever follows is escaped, a quote included
		case '"':
			if escaped {
				r.Commit(key, unescape(r.Value(), line[start:i]), record.String)
			} else {
				r.Add(key, line[start:i], record.String)
			}
			return i + 1
		}
	}
	return -1
}

// unescape appends s, the inside of a quoted value, to dst with its
// escapes replaced.
func unescape(dst, s []byte) []byte {
	for {
		j := bytes.IndexByte(s, '\\')
		if j < 0 || j+1 == len(s) {
			return append(dst, s...)
		}
		dst = append(dst, s[:j]...)
		switch c := s[j+1]; c {
		case '"', '\\':
			dst = append(dst, c)
		case 'n':
			dst = append(dst, '\n')
		case 't':
			dst = append(dst, '\t')
		case 'r':
			dst = append(dst, '\r')
		default:
			dst = append(dst, '\\', c)
		}
		s = s[j+2:]
	}
}

func isKeyByte(c byte) bool { return c > ' ' && c != '=' && c != '"' && c != 0x7f }

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

func skipSpace(line []byte, i int) int {
	for i < len(line) && isSpace(line[i]) {
		i++
	}
	return i
}
