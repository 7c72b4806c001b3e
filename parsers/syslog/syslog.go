// Package syslog parses syslog lines, telling the formats apart line by
// line:
//
//   - RFC 5424: "<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG".
//   - RFC 3164 (BSD), with or without "<PRI>": "Mmm dd hh:mm:ss HOST
//     TAG[PID]: MSG", the day padded with a space ("Jan  1") or not.
//   - rsyslog's high-precision form, the BSD line with an RFC 3339
//     timestamp ("2026-01-01T00:00:01.123456+00:00 host app[123]: msg"),
//     the default of Ubuntu 24.04.
//
// Any other line is Failed, and its caller ships it as it is.
//
// Fields, in this order, each omitted when the line has no value for it
// (RFC 5424's NILVALUE "-" counts as none):
//
//   - priority: PRI as written ("34"); facility: its facility's name;
//     severity: its severity's name (both named below).
//   - hostname, app (APP-NAME, or TAG), pid (PROCID, or the TAG's [PID]),
//     msgid (RFC 5424 only).
//   - sd.<SD-ID>.<PARAM-NAME> for each RFC 5424 SD-PARAM, its value with
//     \" \\ and \] unescaped; a backslash before any other character is
//     kept. An SD-ELEMENT without parameters is the field sd.<SD-ID> with
//     an empty value, so its presence is kept.
//
// Facility names are rsyslog's: kern, user, mail, daemon, auth, syslog,
// lpr, news, uucp, cron, authpriv, ftp, ntp, audit, alert, clock and
// local0 to local7. Severity names are syslog.h's: emerg, alert, crit,
// err, warning, notice, info, debug.
//
// Record.Message is MSG: in RFC 5424 without the UTF-8 byte order mark
// that may start it, in a BSD line without the space after "TAG:". When
// MSG is empty or absent (an RFC 5424 line of NILVALUEs, say), Message is
// nil, so the caller ships the whole line and the event is never empty.
//
// Record.Time is the timestamp in Unix milliseconds, fractions beyond the
// millisecond truncated, or 0 for RFC 5424's NILVALUE. A BSD timestamp has
// no zone or year: it is read in the parser's location and given the year
// that puts it closest to the parser's clock, the rule of
// parsers/timestamp's "syslog" format, so a Dec 31 line read on Jan 1 is
// from the old year and a Jan 1 line read a second before New Year (a
// sender whose clock is ahead) from the next. A timestamp outside the
// years 1 to 9999, or not a valid date, makes the line Failed.
//
// The parser is lenient where real senders are: PRI must be 0 to 191
// without leading zeros, but header fields are not checked against RFC
// 5424's lengths or character set, and a ']' inside a quoted PARAM-VALUE
// needs no escape. In a BSD line, the TAG is the text before ':' or
// "[PID]:" in the word after HOST; a word that ends in ':' right after
// the timestamp is a TAG with no HOST; a line without a TAG has no app
// and its Message is all of the text after HOST.
package syslog

import (
	"time"

	"github.com/corral-logs/corral/parsers/record"
)

// Parser parses syslog lines; see the package documentation. It keeps a
// scratch buffer, so each goroutine needs its own Parser.
type Parser struct {
	loc *time.Location   // zone of BSD timestamps
	now func() time.Time // decides the year of BSD timestamps
	key []byte           // scratch for sd.<SD-ID>.<PARAM-NAME> keys
}

// New returns a Parser that reads BSD timestamps in loc (UTC when nil)
// and gives them the year closest to now() (time.Now when nil).
func New(loc *time.Location, now func() time.Time) *Parser {
	if loc == nil {
		loc = time.UTC
	}
	if now == nil {
		now = time.Now
	}
	return &Parser{loc: loc, now: now}
}

// Parse resets r and fills it from line, which it returns Parsed, or
// Failed when line is in none of the formats. r.Message refers to line.
func (p *Parser) Parse(line []byte, r *record.Record) record.Result {
	r.Reset()
	if len(line) == 0 || line[0] != '<' {
		return p.parseBSD(line, nil, 0, r)
	}
	pri, value, rest, ok := cutPRI(line)
	if !ok {
		return record.Failed
	}
	if len(rest) >= 2 && rest[0] == '1' && rest[1] == ' ' {
		return p.parse5424(rest[2:], pri, value, r)
	}
	return p.parseBSD(rest, pri, value, r)
}

// cutPRI reads "<PRI>" at the start of line: the digits, their value and
// the rest of line.
func cutPRI(line []byte) (pri []byte, value int, rest []byte, ok bool) {
	end := 1
	for end < len(line) && end <= 4 && isDigit(line[end]) {
		value = value*10 + int(line[end]-'0')
		end++
	}
	digits := end - 1
	if digits == 0 || digits > 3 || end == len(line) || line[end] != '>' ||
		line[1] == '0' && digits > 1 || value > maxPRI {
		return nil, 0, nil, false
	}
	return line[1:end], value, line[end+1:], true
}

// maxPRI is the largest PRI: facility 23 (local7) times 8 plus severity 7
// (RFC 5424, section 6.2.1).
const maxPRI = 191

// Field keys.
const (
	keyPriority = "priority"
	keyFacility = "facility"
	keySeverity = "severity"
	keyHostname = "hostname"
	keyApp      = "app"
	keyPID      = "pid"
	keyMsgID    = "msgid"
)

// facilities are the facility names by code, rsyslog's; severities are the
// severity names by code, syslog.h's.
var (
	facilities = names("kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
		"uucp", "cron", "authpriv", "ftp", "ntp", "audit", "alert", "clock",
		"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7")
	severities = names("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")
)

// names returns s as byte slices, for Record.AddString.
func names(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i := range s {
		out[i] = []byte(s[i])
	}
	return out
}

// addPRI adds the priority, facility and severity fields when the line
// has a PRI.
func addPRI(r *record.Record, pri []byte, value int) {
	if pri == nil {
		return
	}
	r.AddString(keyPriority, pri)
	r.AddString(keyFacility, facilities[value>>3])
	r.AddString(keySeverity, severities[value&7])
}

// addValue adds a header field unless its value is RFC 5424's NILVALUE.
func addValue(r *record.Record, key string, value []byte) {
	if isNil(value) {
		return
	}
	r.AddString(key, value)
}

// setMessage sets r.Message to msg, or leaves it nil when msg is empty so
// the caller ships the whole line.
func setMessage(r *record.Record, msg []byte) {
	if len(msg) > 0 {
		r.Message = msg
	}
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

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
