// Package timestamp reads an event's time from the start of its line, in
// a named format (rfc3339, rfc3339nano, unix, unix_ms, syslog) or a Go
// reference layout.
package timestamp

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Format is a way of writing a timestamp.
type Format struct {
	name   string
	layout string // a Go layout; empty for the unix formats
	fields int    // space-separated fields the timestamp takes
	loc    *time.Location
	now    func() time.Time
}

// Named formats besides Go layouts.
const (
	RFC3339     = "rfc3339"
	RFC3339Nano = "rfc3339nano"
	Unix        = "unix"    // seconds, with an optional fraction
	UnixMilli   = "unix_ms" // milliseconds
	Syslog      = "syslog"  // "Jan _2 15:04:05", without a year
)

// syslogLayout is RFC 3164's timestamp.
const syslogLayout = "Jan _2 15:04:05"

// ErrNoLayout is returned for a format that is neither a known name nor a
// Go layout.
var ErrNoLayout = errors.New("timestamp: not a format name or Go layout")

// Parse returns the format called name, or the Go layout name, read in
// loc where the text has no zone (UTC when loc is nil). now decides the
// year of formats without one (time.Now when nil).
func Parse(name string, loc *time.Location, now func() time.Time) (Format, error) {
	if loc == nil {
		loc = time.UTC
	}
	if now == nil {
		now = time.Now
	}
	f := Format{name: name, loc: loc, now: now}
	switch name {
	case RFC3339, RFC3339Nano:
		f.layout = time.RFC3339Nano // parsing accepts any fraction
	case Unix, UnixMilli:
	case Syslog:
		f.layout = syslogLayout
	default:
		if !strings.Contains(name, "2006") && !strings.Contains(name, "15:04") && !strings.Contains(name, "Jan") {
			return Format{}, fmt.Errorf("%w: %q (want rfc3339, rfc3339nano, unix, unix_ms, syslog or a layout like 2006-01-02 15:04:05)", ErrNoLayout, name)
		}
		f.layout = name
	}
	f.fields = 1
	if f.layout != "" {
		f.fields = len(strings.Fields(f.layout))
	}
	return f, nil
}

// Leading reads the timestamp at the start of line and returns it in
// Unix milliseconds, or false when the line does not start with one.
func (f Format) Leading(line []byte) (int64, bool) {
	token := leadingFields(line, f.fields)
	if len(token) == 0 {
		return 0, false
	}
	// A syslog day is padded with a space: "Jan  1" is three fields.
	return f.Value(token)
}

// Value reads a whole field's text as a timestamp in the format, and
// returns it in Unix milliseconds, or false when it is not one.
func (f Format) Value(text []byte) (int64, bool) {
	switch f.name {
	case Unix:
		secs, err := strconv.ParseFloat(string(text), 64)
		if err != nil {
			return 0, false
		}
		return int64(secs * 1000), true
	case UnixMilli:
		ms, err := strconv.ParseInt(string(text), 10, 64)
		return ms, err == nil
	}
	t, err := time.ParseInLocation(f.layout, string(text), f.loc)
	if err != nil {
		return 0, false
	}
	if f.name == Syslog {
		t = ClosestYear(t, f.now())
	}
	return t.UnixMilli(), true
}

// leadingFields returns the start of line holding its first n
// space-separated fields; runs of spaces count once, as in "Jan  1".
func leadingFields(line []byte, n int) []byte {
	i := 0
	for field := 0; field < n; field++ {
		for i < len(line) && line[i] == ' ' && field > 0 {
			i++
		}
		j := bytes.IndexByte(line[i:], ' ')
		if j < 0 {
			if field == n-1 {
				return line
			}
			return nil
		}
		i += j
		if field < n-1 {
			i++
		}
	}
	return line[:i]
}

// ClosestYear returns t, read without a year, in the year that puts it
// closest to now: now's year or one either side, now's year on a tie. A
// line from Dec 31 read on Jan 1 belongs to the old year. Feb 29 moved to
// a year without one becomes Mar 1, as time.Date normalizes it. It does
// not allocate.
func ClosestYear(t, now time.Time) time.Time {
	best := t.AddDate(now.Year()-t.Year(), 0, 0)
	for _, y := range []int{-1, 1} {
		c := best.AddDate(y, 0, 0)
		if c.Sub(now).Abs() < best.Sub(now).Abs() {
			best = c
		}
	}
	return best
}
