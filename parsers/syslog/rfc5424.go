package syslog

import (
	"bytes"

	"github.com/corral-logs/corral/parsers/record"
)

// bom is the UTF-8 byte order mark RFC 5424 puts before a UTF-8 MSG.
var bom = []byte("\xEF\xBB\xBF")

// parse5424 parses s, an RFC 5424 line after "<PRI>1 ".
func (p *Parser) parse5424(s, pri []byte, value int, r *record.Record) record.Result {
	// The header: five words, each followed by a space.
	ts, s, ok1 := cutWord(s)
	host, s, ok2 := cutWord(s)
	app, s, ok3 := cutWord(s)
	procID, s, ok4 := cutWord(s)
	msgID, s, ok5 := cutWord(s)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
		return record.Failed
	}
	if !isNil(ts) {
		ms, ok := parseRFC3339(ts)
		if !ok {
			return record.Failed
		}
		r.Time = ms
	}
	addPRI(r, pri, value)
	addValue(r, keyHostname, host)
	addValue(r, keyApp, app)
	addValue(r, keyPID, procID)
	addValue(r, keyMsgID, msgID)

	// STRUCTURED-DATA: "-" or SD-ELEMENTs.
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	} else {
		var ok bool
		if s, ok = p.structuredData(s, r); !ok {
			return record.Failed
		}
	}

	// MSG, after a space, when there is one.
	if len(s) == 0 {
		return record.Parsed
	}
	if s[0] != ' ' {
		return record.Failed
	}
	setMessage(r, bytes.TrimPrefix(s[1:], bom))
	return record.Parsed
}

// structuredData adds a field for each SD-PARAM of the SD-ELEMENTs at the
// start of s, and returns the rest of s.
func (p *Parser) structuredData(s []byte, r *record.Record) (rest []byte, ok bool) {
	if len(s) == 0 || s[0] != '[' {
		return nil, false
	}
	for len(s) > 0 && s[0] == '[' {
		id := sdName(s[1:])
		if len(id) == 0 {
			return nil, false
		}
		s = s[1+len(id):]
		params := 0
		for len(s) > 0 && s[0] == ' ' {
			// PARAM-NAME="PARAM-VALUE"
			name := sdName(s[1:])
			s = s[1+len(name):]
			if len(name) == 0 || len(s) < 2 || s[0] != '=' || s[1] != '"' {
				return nil, false
			}
			s = s[2:]
			end, escaped := closingQuote(s)
			if end < 0 {
				return nil, false
			}
			p.key = append(append(append(append(p.key[:0], "sd."...), id...), '.'), name...)
			if escaped {
				r.Commit(p.key, unescapeParam(r.Value(), s[:end]), record.String)
			} else {
				r.Add(p.key, s[:end], record.String)
			}
			s = s[end+1:]
			params++
		}
		if len(s) == 0 || s[0] != ']' {
			return nil, false
		}
		s = s[1:]
		if params == 0 {
			p.key = append(append(p.key[:0], "sd."...), id...)
			r.Add(p.key, nil, record.String)
		}
	}
	return s, true
}

// sdName returns the SD-NAME (an SD-ID or PARAM-NAME) at the start of s:
// the bytes before '=', ' ', ']' or '"'.
func sdName(s []byte) []byte {
	for i, c := range s {
		if c == '=' || c == ' ' || c == ']' || c == '"' {
			return s[:i]
		}
	}
	return s
}

// closingQuote returns the index of the '"' that ends the PARAM-VALUE s
// starts with, or -1, and whether the value holds a backslash.
func closingQuote(s []byte) (end int, escaped bool) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			escaped = true
			i++ // the next byte is escaped, or a byte after a plain backslash
		case '"':
			return i, escaped
		}
	}
	return -1, escaped
}

// unescapeParam appends PARAM-VALUE v to dst, with \" \\ and \] unescaped;
// a backslash before any other byte is kept (RFC 5424, section 6.3.3).
func unescapeParam(dst, v []byte) []byte {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '\\' && i+1 < len(v) {
			if n := v[i+1]; n == '"' || n == '\\' || n == ']' {
				c = n
				i++
			}
		}
		dst = append(dst, c)
	}
	return dst
}

// isNil reports whether a header field is the NILVALUE "-".
func isNil(w []byte) bool { return len(w) == 1 && w[0] == '-' }
