// Package jsonl parses JSON lines: one JSON object per line.
//
// Each top-level member of the object becomes a field, in the order the
// line states it:
//
//   - a string value becomes a record.String field holding the unescaped
//     text. Every JSON escape is decoded; a \u escape that names half of a
//     surrogate pair without its other half becomes U+FFFD, and \u0000
//     becomes a NUL byte. Raw bytes are kept as they are (the framer has
//     already made lines valid UTF-8).
//   - any other value (number, true, false, null, object, array) becomes a
//     record.JSON field holding the value's exact text, so a 20-digit
//     integer or 1e3 is passed on unchanged.
//
// A key that appears twice gives two fields, both kept in order;
// record.Record.Get returns the last one, as a JSON decoder would.
//
// A line is Parsed only if it is exactly one JSON object with nothing but
// JSON whitespace around it; anything else, a truncated object, trailing
// bytes or nesting deeper than MaxDepth, is Failed. The parser sets
// neither Time nor Message: the whole line is the event.
//
// Parsing allocates nothing once the record's buffers have grown.
package jsonl

import "github.com/corral-logs/corral/parsers/record"

// MaxDepth is how deeply a line may nest objects and arrays, counting the
// line's own object; a deeper line is Failed. It bounds the parser's state
// to a fixed array and turns away pathological input early.
const MaxDepth = 512

// Parser parses JSON lines. It keeps scratch memory, so it is not safe for
// concurrent use; it keeps no state from one line to the next.
type Parser struct {
	key  []byte         // an escaped key, unescaped
	open [MaxDepth]byte // the bracket that opened each nesting level
}

// New returns a JSON lines parser.
func New() *Parser { return &Parser{} }

// Parse resets r and fills it with the members of the object on line.
func (p *Parser) Parse(line []byte, r *record.Record) record.Result {
	r.Reset()
	i := skipSpace(line, 0)
	if i == len(line) || line[i] != '{' {
		return record.Failed
	}
	i = skipSpace(line, i+1)
	if i < len(line) && line[i] == '}' {
		return atEnd(line, i+1)
	}
	for {
		if i = p.member(line, i, r); i < 0 {
			return record.Failed
		}
		i = skipSpace(line, i)
		if i == len(line) {
			return record.Failed
		}
		switch line[i] {
		case ',':
			i = skipSpace(line, i+1)
		case '}':
			return atEnd(line, i+1)
		default:
			return record.Failed
		}
	}
}

// member reads one `"key": value` member starting at line[i] into r and
// returns the index just past it, or -1 if the member is malformed.
func (p *Parser) member(line []byte, i int, r *record.Record) int {
	if i == len(line) || line[i] != '"' {
		return -1
	}
	end, escaped := scanString(line, i)
	if end < 0 {
		return -1
	}
	key := line[i+1 : end-1]
	if escaped {
		p.key = appendUnescaped(p.key[:0], key)
		key = p.key
	}
	i = skipSpace(line, end)
	if i == len(line) || line[i] != ':' {
		return -1
	}
	i = skipSpace(line, i+1)
	if i == len(line) {
		return -1
	}

	// A string is unescaped into the record; any other value is kept as
	// it was written.
	if line[i] == '"' {
		end, escaped := scanString(line, i)
		if end < 0 {
			return -1
		}
		if escaped {
			r.Commit(key, appendUnescaped(r.Value(), line[i+1:end-1]), record.String)
		} else {
			r.Add(key, line[i+1:end-1], record.String)
		}
		return end
	}
	end = p.skipValue(line, i, 1)
	if end < 0 {
		return -1
	}
	r.Add(key, line[i:end], record.JSON)
	return end
}

// atEnd reports Parsed when nothing but whitespace follows line[i:].
func atEnd(line []byte, i int) record.Result {
	if skipSpace(line, i) != len(line) {
		return record.Failed
	}
	return record.Parsed
}
