package syslog

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/corral-logs/corral/parsers/record"
)

// readAt is the clock of the table tests: five minutes into 2026, UTC.
var readAt = time.Date(2026, 1, 1, 0, 5, 0, 0, time.UTC)

func clockAt(t time.Time) func() time.Time { return func() time.Time { return t } }

// parsed is what a line is expected to parse into.
type parsed struct {
	fields [][2]string
	time   int64  // Unix ms
	msg    string // Record.Message; nil when empty, so the whole line is shipped
}

// check parses line and compares the record with want.
func check(t *testing.T, p *Parser, line string, want parsed) {
	t.Helper()
	var r record.Record
	if got := p.Parse([]byte(line), &r); got != record.Parsed {
		t.Errorf("Parse(%q) = %v, want Parsed", line, got)
		return
	}
	if diff := cmp.Diff(want.fields, r.Pairs()); diff != "" {
		t.Errorf("Parse(%q) fields differ (-want +got):\n%s", line, diff)
	}
	if r.Time != want.time {
		t.Errorf("Parse(%q) time = %d (%s), want %d (%s)", line,
			r.Time, time.UnixMilli(r.Time).UTC(), want.time, time.UnixMilli(want.time).UTC())
	}
	if string(r.Message) != want.msg || (r.Message == nil) != (want.msg == "") {
		t.Errorf("Parse(%q) message = %q (nil: %v), want %q",
			line, r.Message, r.Message == nil, want.msg)
	}
}

// pri returns the fields of a PRI.
func pri(value, facility, severity string) [][2]string {
	return [][2]string{{"priority", value}, {"facility", facility}, {"severity", severity}}
}

// join concatenates field lists.
func join(lists ...[][2]string) [][2]string {
	var out [][2]string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

func host(h string) [][2]string { return [][2]string{{"hostname", h}} }

func app(name, pid string) [][2]string {
	if pid == "" {
		return [][2]string{{"app", name}}
	}
	return [][2]string{{"app", name}, {"pid", pid}}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, line string
		want       parsed
	}{
		{"bsd single-space day", "Jan 1 00:00:01 h a: m",
			parsed{join(host("h"), app("a", "")), 1767225601000, "m"}},
		{"bsd zero-padded day", "Feb 03 10:00:00 h a[9]:m",
			parsed{join(host("h"), app("a", "9")), 1770112800000, "m"}},
		{"bsd without tag", "Jan  1 00:00:00 h -- MARK --",
			parsed{host("h"), 1767225600000, "-- MARK --"}},
		{"bsd tag without host", "Jan  1 00:00:00 app[3]: no host",
			parsed{app("app", "3"), 1767225600000, "no host"}},
		{"bsd host only", "Jan  1 00:00:00 h",
			parsed{host("h"), 1767225600000, ""}},
		{"bsd empty message", "<191>Jan  1 00:00:00 h a[1]:",
			parsed{join(pri("191", "local7", "debug"), host("h"), app("a", "1")),
				1767225600000, ""}},
		{"bsd colon in message", "Jan  1 00:00:00 h a: k: v",
			parsed{join(host("h"), app("a", "")), 1767225600000, "k: v"}},
		{"bsd Feb 29 read in 2026 is Mar 1", "Feb 29 00:00:00 h a: m",
			parsed{join(host("h"), app("a", "")), 1772323200000, "m"}},
		{"high precision with PRI", "<30>2026-01-01T01:00:00.5+01:00 h a[2]: m",
			parsed{join(pri("30", "daemon", "info"), host("h"), app("a", "2")),
				1767225600500, "m"}},
		{"5424 minimal with MSG", "<13>1 - - - - - - hello",
			parsed{pri("13", "user", "notice"), 0, "hello"}},
		{"5424 SD element without params", "<13>1 - h - - - [timeQuality][x@1 a=\"\"]",
			parsed{join(pri("13", "user", "notice"), host("h"),
				[][2]string{{"sd.timeQuality", ""}, {"sd.x@1.a", ""}}), 0, ""}},
		{"5424 plain backslash kept", `<13>1 - - - - - [x@1 p="a\b\"c\\"] m`,
			parsed{join(pri("13", "user", "notice"), [][2]string{{"sd.x@1.p", `a\b"c\`}}), 0, "m"}},
		{"5424 unescaped ] in value", `<13>1 - - - - - [x@1 p="]"]`,
			parsed{join(pri("13", "user", "notice"), [][2]string{{"sd.x@1.p", "]"}}), 0, ""}},
		{"5424 BOM only", "<13>1 - - - - - - \xEF\xBB\xBF",
			parsed{pri("13", "user", "notice"), 0, ""}},
		{"5424 nine fraction digits", "<0>1 1985-04-12T23:20:50.123456789Z - - - - -",
			parsed{pri("0", "kern", "emerg"), 482196050123, ""}},
	}
	p := New(nil, clockAt(readAt))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { check(t, p, tt.line, tt.want) })
	}
}

func TestParseFails(t *testing.T) {
	lines := []string{
		"",
		"plain text",
		"Jan  1 00:00:00",  // no HOST
		"Jan  1 00:00:00 ", // no HOST
		"Jan 32 00:00:00 h a: m",
		"Feb 30 00:00:00 h a: m",
		"Jan  1 24:00:00 h a: m",
		"Jan  1 00:60:00 h a: m",
		"jan  1 00:00:00 h a: m",
		"Jan 001 00:00:00 h a: m",
		"Jan  1 0:00:00 h a: m",
		"2026-01-01 00:00:00 h a: m",
		"2026-02-29T00:00:00Z h a: m",
		"2026-01-01T00:00:00+0100 h a: m",
		"0000-01-01T00:00:00Z h a: m",
		"<192>Jan  1 00:00:00 h a: m",
		"<013>Jan  1 00:00:00 h a: m",
		"<>Jan  1 00:00:00 h a: m",
		"<13 Jan  1 00:00:00 h a: m",
		"<13>2 - - - - - -",
		"<13>1 - - - - -",
		"<13>1 - - - - - -x",
		"<13>1 bad - - - - -",
		"<13>1 - - - - - [x@1",
		`<13>1 - - - - - [x@1 p="v]`,
		`<13>1 - - - - - [x@1 p=v]`,
		`<13>1 - - - - - [x@1 ="v"]`,
		`<13>1 - - - - - [ p="v"]`,
		`<13>1 - - - - - [x@1 p="v\"]`,
		`<13>1 - - - - - [x@1 p="v"]x`,
	}
	p := New(nil, clockAt(readAt))
	var r record.Record
	for _, line := range lines {
		if got := p.Parse([]byte(line), &r); got != record.Failed {
			t.Errorf("Parse(%q) = %v, want Failed; fields %v", line, got, r.Pairs())
		}
	}
}

// TestLocation checks that a BSD timestamp is read in the parser's
// location, and an RFC 3339 one by its own offset.
func TestLocation(t *testing.T) {
	east := time.FixedZone("UTC+2", 2*3600)
	p := New(east, clockAt(readAt))
	want := parsed{join(host("h"), app("a", "")), 1767225600000, "m"}
	check(t, p, "Jan  1 02:00:00 h a: m", want)
	check(t, p, "2026-01-01T00:00:00Z h a: m", want)
}

// TestDefaults checks that New with nil arguments reads in UTC with the
// system clock: a line stamped now parses to now, give or take a second.
func TestDefaults(t *testing.T) {
	now := time.Now().UTC()
	line := now.Format(time.Stamp) + " h a: m"
	var r record.Record
	if got := New(nil, nil).Parse([]byte(line), &r); got != record.Parsed {
		t.Fatalf("Parse(%q) = %v", line, got)
	}
	if d := time.UnixMilli(r.Time).Sub(now).Abs(); d > time.Second {
		t.Errorf("Parse(%q) time is %v from now", line, d)
	}
}
