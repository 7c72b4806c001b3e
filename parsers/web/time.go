package web

import (
	"time"

	"github.com/corral-logs/corral/parsers/timestamp"
)

// The times are read by hand, with parsers/timestamp's pieces, rather than
// with time.Parse, which needs a string and so allocates for every line.
// The tests check that both readings agree with time.Parse wherever it
// accepts the text.

// parseCLFTime reads s, all of it, as "02/Jan/2006:15:04:05 -0700", and
// returns it in Unix milliseconds.
func parseCLFTime(s []byte) (int64, bool) {
	if len(s) != len("02/Jan/2006:15:04:05 -0700") || s[2] != '/' || s[6] != '/' || s[11] != ':' ||
		s[14] != ':' || s[17] != ':' || s[20] != ' ' || s[21] != '+' && s[21] != '-' {
		return 0, false
	}
	month := timestamp.ParseMonth(s[3:6])
	year, ok1 := timestamp.Digits(s[7:11], 9999)
	day, ok2 := timestamp.Digits(s[0:2], 31)
	hour, ok3 := timestamp.Digits(s[12:14], 23)
	minute, ok4 := timestamp.Digits(s[15:17], 59)
	sec, ok5 := timestamp.Digits(s[18:20], 59)
	zh, ok6 := timestamp.Digits(s[22:24], 23)
	zm, ok7 := timestamp.Digits(s[24:26], 59)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 || !ok7 || month == 0 || day == 0 ||
		day > timestamp.DaysIn(month, year) {
		return 0, false
	}
	offset := int64(zh*60+zm) * 60
	if s[21] == '-' {
		offset = -offset
	}
	ms := time.Date(year, month, day, hour, minute, sec, 0, time.UTC).UnixMilli() - offset*1000
	return ms, timestamp.MinMilli <= ms && ms <= timestamp.MaxMilli
}

// errorTime reads s, all of it, as "2006/01/02 15:04:05" in the parser's
// location, and returns it in Unix milliseconds.
func (p *Parser) errorTime(s []byte) (int64, bool) {
	if len(s) != timestamp.DateTimeLen {
		return 0, false
	}
	t, ok := timestamp.DateTime(s, '/', ' ', p.loc)
	if !ok {
		return 0, false
	}
	ms := t.UnixMilli()
	return ms, timestamp.MinMilli <= ms && ms <= timestamp.MaxMilli
}
