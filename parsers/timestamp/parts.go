package timestamp

import "time"

// The functions below are the pieces of the parsers' hand-written
// timestamp readers (parsers/syslog, parsers/web), which read bytes in
// place rather than call time.Parse, which needs a string and so allocates
// for every line. None of them allocates.

// MinMilli and MaxMilli bound the times a reader returns, in Unix
// milliseconds: the first and last millisecond of the years 1 to 9999,
// UTC. A time outside them makes the line Failed.
const (
	MinMilli = -62_135_596_800_000 // 0001-01-01T00:00:00.000Z
	MaxMilli = 253_402_300_799_999 // 9999-12-31T23:59:59.999Z
)

// months are the English month abbreviations, as time.Month's String
// begins.
var months = [...]string{
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
}

// ParseMonth returns the month that b, all of it, abbreviates as in "Jan",
// matching case, or 0 when b is not such an abbreviation.
func ParseMonth(b []byte) time.Month {
	for m, name := range months {
		if string(b) == name {
			return time.Month(m + 1)
		}
	}
	return 0
}

// Digits reads b, all of it, as a decimal number no greater than max, and
// reports false when b is empty, holds anything but the digits 0 to 9, or
// the number is greater than max. Leading zeros are allowed: "07" is 7.
func Digits(b []byte, max int) (int, bool) {
	if len(b) == 0 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		// Stopping at max also keeps n from overflowing.
		if n = n*10 + int(c-'0'); n > max {
			return 0, false
		}
	}
	return n, true
}

// DaysIn returns the number of days in month of year: 28 to 31, February
// following the Gregorian leap-year rule.
func DaysIn(month time.Month, year int) int {
	return time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// DateTimeLen is the length of the date and time DateTime reads.
const DateTimeLen = len("2006-01-02T15:04:05")

// DateTime reads the date and time at the start of s, in the shape
// "2006-01-02T15:04:05" with dateSep in place of '-' and sep in place of
// 'T' ("2006/01/02 15:04:05" for nginx's error log), and returns it in
// loc. It reports false when s is shorter than DateTimeLen, a separator
// differs, a field is not digits, or the date does not exist.
func DateTime(s []byte, dateSep, sep byte, loc *time.Location) (time.Time, bool) {
	if len(s) < DateTimeLen || s[4] != dateSep || s[7] != dateSep || s[10] != sep ||
		s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	year, ok1 := Digits(s[0:4], 9999)
	month, ok2 := Digits(s[5:7], 12)
	day, ok3 := Digits(s[8:10], 31)
	hour, ok4 := Digits(s[11:13], 23)
	minute, ok5 := Digits(s[14:16], 59)
	sec, ok6 := Digits(s[17:19], 59)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 || month == 0 || day == 0 ||
		day > DaysIn(time.Month(month), year) {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, 0, loc), true
}
