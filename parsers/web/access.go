package web

import (
	"bytes"

	"github.com/corral-logs/corral/parsers/record"
)

// Field keys of access lines, as []byte for Record.Commit.
var (
	keyReferer   = []byte("referer")
	keyUserAgent = []byte("user_agent")
)

// zero is the bytes field of a response without a body.
var zero = []byte("0")

// clfTimeLen is the length of "[02/Jan/2006:15:04:05 -0700]".
const clfTimeLen = 28

// parseAccess parses a combined or common log format line.
//
// Limitation: a user name with a space in it, which neither nginx nor
// Apache escapes, makes the line Failed, as does a quote left unescaped
// inside a quoted value (nginx's escape=none).
func (p *Parser) parseAccess(s []byte, r *record.Record) record.Result {
	// client ident user [time]
	client, s, ok1 := cutWord(s)
	ident, s, ok2 := cutWord(s)
	user, s, ok3 := cutWord(s)
	if !ok1 || !ok2 || !ok3 || len(s) <= clfTimeLen || s[0] != '[' || s[clfTimeLen-1] != ']' ||
		s[clfTimeLen] != ' ' {
		return record.Failed
	}
	ms, ok := parseCLFTime(s[1 : clfTimeLen-1])
	if !ok {
		return record.Failed
	}
	r.Time = ms
	s = s[clfTimeLen+1:]

	// "request" status bytes
	request, escaped, s, ok := cutQuoted(s)
	if !ok {
		return record.Failed
	}
	status, s, ok := cutWord(s)
	if !ok || len(status) != 3 || !allDigits(status) {
		return record.Failed
	}
	size := s
	if i := bytes.IndexByte(s, ' '); i >= 0 {
		size, s = s[:i], s[i+1:]
	} else {
		s = nil
	}
	if !isDash(size) && !allDigits(size) {
		return record.Failed
	}

	// "referer" "user agent", unless the line is in the common format.
	var referer, agent []byte
	var refEscaped, agentEscaped bool
	if len(s) > 0 {
		if referer, refEscaped, s, ok = cutQuoted(s); !ok {
			return record.Failed
		}
		if agent, agentEscaped, _, ok = cutQuoted(s); !ok {
			return record.Failed
		}
	}

	r.AddString("client", client)
	if !isDash(ident) {
		r.AddString("ident", ident)
	}
	if !isDash(user) {
		r.AddString("user", user)
	}
	if escaped {
		p.buf = unescape(p.buf[:0], request)
		request = p.buf
	}
	if method, path, protocol, ok := splitRequest(request); ok {
		r.AddString("method", method)
		r.AddString("path", path)
		r.AddString("protocol", protocol)
	} else {
		r.AddString("request", request)
	}
	r.AddString("status", status)
	if isDash(size) {
		size = zero
	}
	r.AddString("bytes", size)
	addQuoted(r, keyReferer, referer, refEscaped)
	addQuoted(r, keyUserAgent, agent, agentEscaped)
	return record.Parsed
}

// cutQuoted reads the quoted value at the start of s: the text between
// the quotes, whether it holds a backslash, and what follows the space
// after the closing quote. The closing quote ends s or is followed by a
// space.
func cutQuoted(s []byte) (value []byte, escaped bool, rest []byte, ok bool) {
	if len(s) == 0 || s[0] != '"' {
		return nil, false, nil, false
	}
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			escaped = true
			i++ // skip the escaped byte, which may be a quote
		case '"':
			switch {
			case i+1 == len(s):
				return s[1:i], escaped, nil, true
			case s[i+1] == ' ':
				return s[1:i], escaped, s[i+2:], true
			}
			return nil, false, nil, false
		}
	}
	return nil, false, nil, false
}

// unescape appends v to dst with \" and \\ unescaped; other escapes, such
// as \xHH, are kept as written.
func unescape(dst, v []byte) []byte {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '\\' && i+1 < len(v) && (v[i+1] == '"' || v[i+1] == '\\') {
			c = v[i+1]
			i++
		}
		dst = append(dst, c)
	}
	return dst
}

// splitRequest splits "METHOD PATH PROTOCOL" at its two spaces; ok is
// false unless there are exactly three non-empty parts.
func splitRequest(req []byte) (method, path, protocol []byte, ok bool) {
	i := bytes.IndexByte(req, ' ')
	j := bytes.LastIndexByte(req, ' ')
	if i <= 0 || j <= i+1 || j == len(req)-1 || bytes.IndexByte(req[i+1:j], ' ') >= 0 {
		return nil, nil, nil, false
	}
	return req[:i], req[i+1 : j], req[j+1:], true
}

// addQuoted adds a quoted value, unescaped, unless it is "-" or absent.
func addQuoted(r *record.Record, key, value []byte, escaped bool) {
	switch {
	case value == nil || isDash(value):
	case escaped:
		r.Commit(key, unescape(r.Value(), value), record.String)
	default:
		r.Add(key, value, record.String)
	}
}
