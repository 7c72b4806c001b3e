package web

import (
	"bytes"

	"github.com/corral-logs/corral/parsers/record"
)

// errorTimeLen is the length of "2006/01/02 15:04:05".
const errorTimeLen = 19

// parseError parses an nginx error log line.
func (p *Parser) parseError(s []byte, r *record.Record) record.Result {
	// 2006/01/02 15:04:05 [level]
	if len(s) <= errorTimeLen+1 || s[errorTimeLen] != ' ' || s[errorTimeLen+1] != '[' {
		return record.Failed
	}
	ms, ok := p.errorTime(s[:errorTimeLen])
	if !ok {
		return record.Failed
	}
	r.Time = ms
	s = s[errorTimeLen+2:]
	end := bytes.IndexByte(s, ']')
	if end <= 0 || !lowercase(s[:end]) || end+1 == len(s) || s[end+1] != ' ' {
		return record.Failed
	}
	level := s[:end]
	s = s[end+2:]

	// pid#tid:
	hash := bytes.IndexByte(s, '#')
	colon := bytes.IndexByte(s, ':')
	if hash <= 0 || colon <= hash+1 || !allDigits(s[:hash]) || !allDigits(s[hash+1:colon]) {
		return record.Failed
	}
	pid, tid := s[:hash], s[hash+1:colon]
	s = s[colon+1:]
	if len(s) > 0 {
		if s[0] != ' ' {
			return record.Failed
		}
		s = s[1:]
	}

	r.AddString("level", level)
	r.AddString("pid", pid)
	r.AddString("tid", tid)

	// *connection, when the event belongs to one, then the message.
	if len(s) > 1 && s[0] == '*' {
		conn, rest, ok := cutWord(s[1:])
		if !ok {
			conn, rest = s[1:], nil
		}
		if allDigits(conn) {
			r.AddString("connection", conn)
			s = rest
		}
	}
	if len(s) > 0 {
		r.Message = s
	}
	return record.Parsed
}

// lowercase reports whether b is all lowercase ASCII letters, as nginx's
// levels are.
func lowercase(b []byte) bool {
	for _, c := range b {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}
