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
