package web

import "time"

// The times are read by hand rather than with time.Parse, which needs a
// string and so allocates for every line. The tests check that both
// readings agree with time.Parse wherever it accepts the text.

// Bounds of Record.Time: the years 1 to 9999, UTC.
var (
	minTime = time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	maxTime = time.Date(10000, time.January, 1, 0, 0, 0, 0, time.UTC).UnixMilli() - 1
)

// parseCLFTime reads s, all of it, as "02/Jan/2006:15:04:05 -0700", and
// returns it in Unix milliseconds.
func parseCLFTime(s []byte) (int64, bool) {
	if len(s) != len("02/Jan/2006:15:04:05 -0700") || s[2] != '/' || s[6] != '/' || s[11] != ':' ||
		s[14] != ':' || s[17] != ':' || s[20] != ' ' || s[21] != '+' && s[21] != '-' {
		return 0, false
	}
	month := monthOf(s[3:6])
	year, ok1 := num4(s[7:11])
	day, ok2 := num2(s[0:2], 31)
	hour, ok3 := num2(s[12:14], 23)
	minute, ok4 := num2(s[15:17], 59)
	sec, ok5 := num2(s[18:20], 59)
	zh, ok6 := num2(s[22:24], 23)
	zm, ok7 := num2(s[24:26], 59)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 || !ok7 || month == 0 || day == 0 ||
		day > daysIn(month, year) {
		return 0, false
	}
	offset := int64(zh*60+zm) * 60
	if s[21] == '-' {
		offset = -offset
	}
	ms := time.Date(year, month, day, hour, minute, sec, 0, time.UTC).UnixMilli() - offset*1000
	return ms, minTime <= ms && ms <= maxTime
}

// errorTime reads s, all of it, as "2006/01/02 15:04:05" in the parser's
// location, and returns it in Unix milliseconds.
func (p *Parser) errorTime(s []byte) (int64, bool) {
	if len(s) != len("2006/01/02 15:04:05") || s[4] != '/' || s[7] != '/' || s[10] != ' ' ||
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
	ms := time.Date(year, time.Month(month), day, hour, minute, sec, 0, p.loc).UnixMilli()
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
