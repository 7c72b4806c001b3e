package container

import "time"

// parseTime reads an RFC 3339 timestamp such as 2024-01-02T03:04:05.123Z
// or 2024-01-02T03:04:05+01:00, with any number of fraction digits, and
// returns it in Unix milliseconds. It accepts what time.Parse accepts
// with time.RFC3339Nano but for what RFC 3339 does not allow (a one-digit
// hour, an offset of 24 hours or 60 minutes), and it does not allocate.
func parseTime(b []byte) (int64, bool) {
	if len(b) < len("2006-01-02T15:04:05Z") ||
		b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return 0, false
	}

	// Year, month, day, hour, minute, second.
	var f [6]int
	for k, at := range [6][2]int{{0, 4}, {5, 7}, {8, 10}, {11, 13}, {14, 16}, {17, 19}} {
		n, ok := num(b[at[0]:at[1]])
		if !ok {
			return 0, false
		}
		f[k] = n
	}
	if f[1] < 1 || f[1] > 12 || f[2] < 1 || f[3] > 23 || f[4] > 59 || f[5] > 59 {
		return 0, false
	}
	nanos, i, ok := fraction(b, len("2006-01-02T15:04:05"))
	if !ok {
		return 0, false
	}
	offset, ok := zone(b[i:])
	if !ok {
		return 0, false
	}
	t := time.Date(f[0], time.Month(f[1]), f[2], f[3], f[4], f[5], nanos, time.UTC)
	if t.Day() != f[2] {
		return 0, false // a day past the end of its month
	}
	return t.UnixMilli() - int64(offset)*1000, true
}

// fraction reads the fraction of a second that may start at b[i], in
// nanoseconds from its first nine digits, and returns the index past it.
func fraction(b []byte, i int) (nanos, end int, ok bool) {
	if b[i] != '.' {
		return 0, i, true
	}
	j := i + 1
	for ; j < len(b) && '0' <= b[j] && b[j] <= '9'; j++ {
		if j-i <= 9 {
			nanos = nanos*10 + int(b[j]-'0')
		}
	}
	for k := j - i; k <= 9; k++ {
		nanos *= 10 // fewer than nine digits
	}
	return nanos, j, j > i+1
}

// zone reads a zone that is all of b, Z or an offset such as +01:00, and
// returns its offset from UTC in seconds.
func zone(b []byte) (int, bool) {
	if len(b) == 1 && b[0] == 'Z' {
		return 0, true
	}
	if len(b) != len("+01:00") || (b[0] != '+' && b[0] != '-') || b[3] != ':' {
		return 0, false
	}
	h, ok1 := num(b[1:3])
	m, ok2 := num(b[4:6])
	if !ok1 || !ok2 || h > 23 || m > 59 {
		return 0, false
	}
	if b[0] == '-' {
		return -(h*3600 + m*60), true
	}
	return h*3600 + m*60, true
}

// num reads a run of decimal digits.
func num(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
