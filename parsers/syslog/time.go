package syslog

import "time"

// The timestamps are read by hand rather than with time.Parse, which
// needs a string and so allocates for every line. The tests check that
// both readings agree with parsers/timestamp wherever it accepts the text.

// Bounds of Record.Time: the years 1 to 9999, UTC.
var (
	minTime = time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	maxTime = time.Date(10000, time.January, 1, 0, 0, 0, 0, time.UTC).UnixMilli() - 1
)

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
	month := monthOf(s[:3])
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
	hour, ok1 := num2(s[1:3], 23)
	minute, ok2 := num2(s[4:6], 59)
	sec, ok3 := num2(s[7:9], 59)
	// The day is checked against a leap year: the year is not known yet.
	if !ok1 || !ok2 || !ok3 || day < 1 || day > daysIn(month, 2000) {
		return 0, nil, false
	}
	now := p.now()
	t := time.Date(now.Year(), month, day, hour, minute, sec, 0, p.loc)
	ms = closestYear(t, now).UnixMilli()
	if ms < minTime || ms > maxTime {
		return 0, nil, false
	}
	return ms, s[10:], true
}

// closestYear returns t, dated in now's year, moved a year back or forward
// when that puts it closer to now: parsers/timestamp's rule for the year
// syslog does not write.
func closestYear(t, now time.Time) time.Time {
	for _, years := range [...]int{-1, 1} {
		if c := t.AddDate(years, 0, 0); c.Sub(now).Abs() < t.Sub(now).Abs() {
			t = c
		}
	}
	return t
}

// parseRFC3339 reads s, all of it, as an RFC 3339 timestamp, as
// "2006-01-02T15:04:05.999999Z07:00", and returns it in Unix milliseconds.
func parseRFC3339(s []byte) (int64, bool) {
	if len(s) < len("2006-01-02T15:04:05Z") || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
		s[13] != ':' || s[16] != ':' {
		return 0, false
	}
	year, ok1 := num4(s[0:4])
	month, ok2 := num2(s[5:7], 12)
	day, ok3 := num2(s[8:10], 31)
	hour, ok4 := num2(s[11:13], 23)
	minute, ok5 := num2(s[14:16], 59)
	sec, ok6 := num2(s[17:19], 59)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 || month == 0 || day == 0 ||
		day > daysIn(time.Month(month), year) {
		return 0, false
	}
	s = s[19:]

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
		h, ok1 := num2(s[1:3], 23)
		m, ok2 := num2(s[4:6], 59)
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
	ms := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC).UnixMilli() +
		frac - int64(offset)*1000
	return ms, minTime <= ms && ms <= maxTime
}

// monthOf returns the month abbreviated as in "Jan", or 0.
func monthOf(b []byte) time.Month {
	for m, name := range months {
		if string(b) == name {
			return time.Month(m + 1)
		}
	}
	return 0
}

var months = [...]string{
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
}

// daysIn returns the number of days in month of year.
func daysIn(month time.Month, year int) int {
	return time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// num2 reads two digits as a number up to max.
func num2(b []byte, max int) (int, bool) {
	if !isDigit(b[0]) || !isDigit(b[1]) {
		return 0, false
	}
	n := int(b[0]-'0')*10 + int(b[1]-'0')
	return n, n <= max
}

// num4 reads four digits as a number.
func num4(b []byte) (int, bool) {
	n := 0
	for _, c := range b[:4] {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
