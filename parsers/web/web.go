// Package web parses the access logs of nginx and Apache httpd, and
// nginx's error log.
//
// Access lines are in the combined log format,
//
//	client ident user [02/Jan/2006:15:04:05 -0700] "request" status bytes "referer" "user agent"
//
// (nginx's $remote_addr - $remote_user ..., Apache's %h %l %u %t "%r" %>s
// %b ...), or the common log format, which ends after bytes. Fields, in
// this order:
//
//   - client: the client address as written (IPv4, IPv6 or, with
//     Apache's HostnameLookups, a name).
//   - ident, user: omitted when "-".
//   - method, path, protocol: the request split at its two spaces. A
//     request that does not split into three non-empty parts ("-", the
//     bytes of a TLS handshake sent to a plain HTTP port) is the field
//     request instead, as written.
//   - status, as written.
//   - bytes: "-" (Apache's %b when no body was sent) is written "0", so
//     the field is always a number.
//   - referer, user_agent: omitted when "-".
//
// Every value is a string. In the quoted values, \" and \\ are unescaped;
// every other escape, such as nginx's and Apache's \xHH for bytes outside
// printable ASCII, is kept as written, so the fields hold the same text
// as the line. Text after the user agent, such as the
// $http_x_forwarded_for of nginx's "main" format, is not read into
// fields; Record.Message stays nil, so the whole line is shipped with it.
// Record.Time is the bracketed time, in Unix milliseconds.
//
// The nginx parser also reads error log lines,
//
//	2006/01/02 15:04:05 [level] pid#tid: *connection message
//
// into the fields level, pid, tid and connection (the number after '*',
// omitted when the line has none), with Record.Message the message,
// including nginx's ", client: ..., server: ..." context, or nil when the
// line has no message. The time has no zone: it is read in the location
// given to NewNginx.
//
// Any other line is Failed, and its caller ships it as it is.
package web

import (
	"time"

	"github.com/corral-logs/corral/parsers/record"
)

// Parser parses access log lines and, made by NewNginx, nginx error log
// lines; see the package documentation. It keeps a scratch buffer, so
// each goroutine needs its own Parser.
type Parser struct {
	errorLog bool           // error log lines are parsed too (nginx)
	loc      *time.Location // zone of error log times
	buf      []byte         // scratch for an unescaped request
}

// NewNginx returns a Parser of nginx access and error log lines that
// reads error log times in loc (UTC when nil).
func NewNginx(loc *time.Location) *Parser {
	if loc == nil {
		loc = time.UTC
	}
	return &Parser{errorLog: true, loc: loc}
}

// NewApache returns a Parser of Apache httpd access log lines.
func NewApache() *Parser {
	return &Parser{loc: time.UTC}
}

// Parse resets r and fills it from line, which it returns Parsed, or
// Failed when line is in none of the parser's formats. r.Message refers
// to line.
func (p *Parser) Parse(line []byte, r *record.Record) record.Result {
	r.Reset()
	// An access line starts with an address or name, never "2006/".
	if p.errorLog && len(line) > 4 && line[4] == '/' {
		return p.parseError(line, r)
	}
	return p.parseAccess(line, r)
}

// cutWord returns the non-empty run of bytes before the next space, and
// what follows that space.
func cutWord(s []byte) (word, rest []byte, ok bool) {
	for i, c := range s {
		if c == ' ' {
			return s[:i], s[i+1:], i > 0
		}
	}
	return nil, nil, false
}

// isDash reports whether a value is "-", the formats' empty value.
func isDash(v []byte) bool { return len(v) == 1 && v[0] == '-' }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// allDigits reports whether b is a non-empty run of digits.
func allDigits(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) {
			return false
		}
	}
	return len(b) > 0
}
