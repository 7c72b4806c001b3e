package syslog

import (
	"github.com/corral-logs/corral/parsers/record"
)

// parseBSD parses s, an RFC 3164 line or rsyslog's high-precision form
// after its PRI, if any (pri is nil when there is none).
func (p *Parser) parseBSD(s, pri []byte, value int, r *record.Record) record.Result {
	// The timestamp: RFC 3339 (high precision) or "Mmm dd hh:mm:ss".
	var ok bool
	if len(s) > 0 && isDigit(s[0]) {
		var ts []byte
		if ts, s, ok = cutWord(s); ok {
			r.Time, ok = parseRFC3339(ts)
		}
	} else {
		r.Time, s, ok = p.bsdTimestamp(s)
	}
	if !ok || len(s) == 0 {
		return record.Failed
	}
	addPRI(r, pri, value)

	// HOST, unless the word after the timestamp is already the TAG.
	host, rest, ok := cutWord(s)
	if !ok {
		host, rest = s, nil
	}
	if len(host) == 0 {
		return record.Failed
	}
	if host[len(host)-1] != ':' {
		r.AddString(keyHostname, host)
		s = rest
	}

	// TAG[PID]: MSG, or a MSG without a TAG.
	app, pid, msg, ok := cutTag(s)
	if !ok {
		setMessage(r, s)
		return record.Parsed
	}
	r.AddString(keyApp, app)
	if pid != nil {
		r.AddString(keyPID, pid)
	}
	setMessage(r, msg)
	return record.Parsed
}

// cutTag reads "TAG: MSG" or "TAG[PID]: MSG" from s; the space after the
// colon is optional and not part of msg.
func cutTag(s []byte) (app, pid, msg []byte, ok bool) {
	i := 0
	for i < len(s) && s[i] != ':' && s[i] != '[' && s[i] != ' ' {
		i++
	}
	if i == 0 || i == len(s) || s[i] == ' ' {
		return nil, nil, nil, false
	}
	app = s[:i]
	if s[i] == '[' {
		j := i + 1
		for j < len(s) && s[j] != ']' && s[j] != ' ' {
			j++
		}
		if j == i+1 || j+1 >= len(s) || s[j] != ']' || s[j+1] != ':' {
			return nil, nil, nil, false
		}
		pid = s[i+1 : j]
		i = j + 1
	}
	i++ // the colon
	if i < len(s) && s[i] == ' ' {
		i++
	}
	return app, pid, s[i:], true
}
