package syslog

import (
	"time"

	"github.com/corral-logs/corral/parsers/timestamp"
)

// The timestamps are read by hand, with parsers/timestamp's pieces, rather
// than with time.Parse, which needs a string and so allocates for every
// line. The tests check that both readings agree with parsers/timestamp
// wherever it accepts the text.

// bsdTimestamp reads "Mmm dd hh:mm:ss " at the start of s, the day padded
// with a space or not, and returns it in Unix milliseconds in the year
// closest to the parser's clock, and the rest of s.
//
// Limitation: variants some devices send, with a year ("Jan  1 2026
// 00:00:00") or a fraction ("00:00:00.123"), are not read: the line is
// Failed and shipped as it is.
func (p *Parser) bsdTimestamp(s []byte) (ms int64, rest []byte, ok bool) {
	if len(s) < len("Jan 2 15:04:05 ") {
		return 0, nil, false
	}
	month := timestamp.ParseMonth(s[:3])
	if month == 0 || s[3] != ' ' {
		return 0, nil, false
	}
	s = s[4:]
	if s[0] == ' ' { // "Jan  2"
		s = s[1:]
	}
	day, n := 0, 0
	for n < len(s) && n < 2 && isDigit(s[n]) {
		day = day*10 + int(s[n]-'0')
		n++
	}
	s = s[n:]
	if n == 0 || len(s) < len(" 15:04:05 ") || s[0] != ' ' || s[3] != ':' || s[6] != ':' ||
		s[9] != ' ' {
		return 0, nil, false
	}
	hour, ok1 := timestamp.Digits(s[1:3], 23)
	minute, ok2 := timestamp.Digits(s[4:6], 59)
	sec, ok3 := timestamp.Digits(s[7:9], 59)
	// The day is checked against a leap year: the year is not known yet.
	if !ok1 || !ok2 || !ok3 || day < 1 || day > timestamp.DaysIn(month, 2000) {
		return 0, nil, false
	}
	now := p.now()
	t := time.Date(now.Year(), month, day, hour, minute, sec, 0, p.loc)
	ms = timestamp.ClosestYear(t, now).UnixMilli()
	if ms < timestamp.MinMilli || ms > timestamp.MaxMilli {
		return 0, nil, false
	}
	return ms, s[10:], true
}

// parseRFC3339 reads s, all of it, as an RFC 3339 timestamp, as
// "2006-01-02T15:04:05.999999Z07:00", and returns it in Unix milliseconds.
func parseRFC3339(s []byte) (int64, bool) {
	if len(s) < len("2006-01-02T15:04:05Z") {
		return 0, false
	}
	t, ok := timestamp.DateTime(s, '-', 'T', time.UTC)
	if !ok {
		return 0, false
	}
	s = s[timestamp.DateTimeLen:]

	// The fraction, any number of digits, truncated to milliseconds.
	frac := int64(0)
	if len(s) >= 2 && s[0] == '.' && isDigit(s[1]) {
		n := 1
		for ; n < len(s) && isDigit(s[n]); n++ {
			if n <= 3 {
				frac = frac*10 + int64(s[n]-'0')
			}
		}
		for d := n; d <= 3; d++ {
			frac *= 10
		}
		s = s[n:]
	}

	// The zone: Z or ±hh:mm.
	offset := 0
	switch {
	case len(s) == 1 && s[0] == 'Z':
	case len(s) == len("+07:00") && (s[0] == '+' || s[0] == '-') && s[3] == ':':
		h, ok1 := timestamp.Digits(s[1:3], 23)
		m, ok2 := timestamp.Digits(s[4:6], 59)
		if !ok1 || !ok2 {
			return 0, false
		}
		offset = (h*60 + m) * 60
		if s[0] == '-' {
			offset = -offset
		}
	default:
		return 0, false
	}
	ms := t.UnixMilli() +
		frac - int64(offset)*1000
	return ms, timestamp.MinMilli <= ms && ms <= timestamp.MaxMilli
}
