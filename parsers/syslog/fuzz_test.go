package syslog

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/corral-logs/corral/parsers/record"
	"github.com/corral-logs/corral/parsers/timestamp"
)

// seeds are lines of every shape the parser knows, for the fuzz tests and
// benchmarks.
var seeds = []string{
	"Dec 31 23:59:55 web-01 systemd[1]: Starting apt-daily-upgrade.service",
	"Jan  1 00:00:09 web-01 postfix/smtpd[4410]: connect from unknown[203.0.113.9]",
	"<13>Jan  1 00:00:12 web-01 logger: a line that kept its network PRI prefix",
	"Jan  1 00:00:00 app[3]: no host",
	"Jan 1 00:00:00 h -- MARK --",
	"<34>1 2025-12-31T23:59:58.003Z web-01.corp.invalid su - ID47 - \xEF\xBB\xBF'su root' failed",
	`<165>1 2026-01-01T00:00:01.123456+01:00 web-01 demo 3141 ORDER [origin@32473 ip="10.0.1.2"] x`,
	`<86>1 2026-01-01T00:00:03.5-05:00 h sshd 4 - [esc@1 path="C:\\t\]d" quote="say \"hi\""] x`,
	"<13>1 - - - - - -",
	"<13>1 - - - - - [timeQuality][x@1 a=\"\"]",
	"2026-01-01T00:01:25.000000+00:00 web-01 sshd[4530]: message repeated 3 times: [ Failed]",
}

func FuzzSyslog(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s), false)
	}
	for _, name := range []string{"syslog-rfc3164.log", "syslog-rfc5424.log", "auth.log"} {
		path := filepath.Join("..", "..", "..", "shared", "testdata", "hostlogs", name)
		data, err := os.ReadFile(path)
		if err == nil {
			for line := range bytes.Lines(data) {
				f.Add(bytes.TrimSuffix(line, []byte("\n")), true)
			}
		}
	}
	f.Fuzz(func(t *testing.T, line []byte, east bool) {
		loc := time.UTC
		if east {
			loc = time.FixedZone("UTC+5:30", 5*3600+1800)
		}
		p := New(loc, clockAt(readAt))
		var r, dirty record.Record
		if p.Parse(line, &r) != record.Parsed {
			return
		}
		for i := range r.Len() {
			if k, _, _ := r.Field(i); len(k) == 0 {
				t.Fatalf("field %d has an empty key: %q", i, r.Pairs())
			}
		}
		if r.Message != nil && (len(r.Message) == 0 || !bytes.HasSuffix(line, r.Message)) {
			t.Fatalf("message %q is not a non-empty end of the line", r.Message)
		}
		if r.Time != 0 && (r.Time < timestamp.MinMilli || r.Time > timestamp.MaxMilli) {
			t.Fatalf("time %d is outside the years 1 to 9999", r.Time)
		}

		// A record used before parses the line the same.
		p.Parse([]byte(seeds[7]), &dirty)
		if p.Parse(line, &dirty) != record.Parsed || !dirty.Equal(&r) {
			t.Fatalf("a reused record parses to %q, a new one to %q", dirty.Pairs(), r.Pairs())
		}
	})
}

// FuzzTimestamps checks that whatever timestamp the hand readers accept,
// parsers/timestamp reads to the same time.
func FuzzTimestamps(f *testing.F) {
	f.Add("2026-01-01T00:00:01.123456+01:00", int64(1767225900))
	f.Add("1985-04-12T23:20:50.52Z", int64(0))
	f.Add("Dec 31 23:59:59", int64(1767225900))
	f.Add("Feb 29 12:00:00", int64(1788000000))
	f.Add("Jan  01 00:00:00", int64(1798761599))
	f.Fuzz(func(t *testing.T, text string, nowSec int64) {
		if nowSec %= 200e9; nowSec < 0 { // within the years 1970 to 8300 or so
			nowSec = -nowSec
		}
		now := time.Unix(nowSec, 0)
		if ms, ok := parseRFC3339([]byte(text)); ok {
			want, wok := mustFormat(t, timestamp.RFC3339, now).Value([]byte(text))
			if !wok || ms != want {
				t.Fatalf("parseRFC3339(%q) = %d; parsers/timestamp: %d, %v", text, ms, want, wok)
			}
		}
		p := New(nil, clockAt(now))
		if ms, rest, ok := p.bsdTimestamp([]byte(text + " ")); ok && len(rest) == 0 {
			want, wok := mustFormat(t, timestamp.Syslog, now).Value([]byte(text))
			if !wok || ms != want {
				t.Fatalf("bsdTimestamp(%q) at %v = %d; parsers/timestamp: %d, %v",
					text, now, ms, want, wok)
			}
		}
	})
}

// TestClosestYearAgreesWithTimestamp compares BSD timestamps around the
// year with parsers/timestamp's syslog format, in several zones.
func TestClosestYearAgreesWithTimestamp(t *testing.T) {
	stamps := []string{"Jan  1 00:00:00", "Jan  1 00:00:02", "Feb 28 23:59:59",
		"Feb 29 12:00:00", "Mar  1 00:00:00", "Jun 30 23:59:59", "Jul  1 00:00:00",
		"Jul  2 12:00:00", "Dec 31 23:59:58"}
	var clocks []time.Time
	for _, year := range []int{2024, 2025, 2026, 2027, 2028} {
		days := [][3]int{{1, 1, 0}, {1, 1, 30}, {3, 1, 0}, {7, 1, 0}, {7, 2, 12}, {12, 31, 23}}
		for _, d := range days {
			month, day, hour := time.Month(d[0]), d[1], d[2]
			clocks = append(clocks, time.Date(year, month, day, hour, 59, 59, 0, time.UTC))
		}
	}
	zones := []*time.Location{
		time.UTC, time.FixedZone("", 5*3600+1800), time.FixedZone("", -8*3600),
	}
	for _, loc := range zones {
		for _, now := range clocks {
			f, err := timestamp.Parse(timestamp.Syslog, loc, clockAt(now))
			if err != nil {
				t.Fatal(err)
			}
			p := New(loc, clockAt(now))
			for _, s := range stamps {
				got, _, ok := p.bsdTimestamp([]byte(s + " "))
				want, wok := f.Value([]byte(s))
				if !ok || !wok || got != want {
					t.Errorf("%q at %v in %v: got %d, %v; parsers/timestamp: %d, %v",
						s, now, loc, got, ok, want, wok)
				}
			}
		}
	}
}

func mustFormat(t *testing.T, name string, now time.Time) timestamp.Format {
	f, err := timestamp.Parse(name, time.UTC, clockAt(now))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func BenchmarkParse(b *testing.B) {
	for _, bm := range []struct{ name, line string }{
		{"rfc3164", "Jan  1 00:00:02 web-01 dhclient[812]: " +
			"DHCPREQUEST for 10.0.1.23 on eth0 to 10.0.0.2 port 67"},
		{"rfc5424", `<165>1 2026-01-01T00:00:01.123456+01:00 web-01 corral-demo 3141 ORDER ` +
			`[origin@32473 ip="10.0.1.23" software="corral-demo"] order 42 created`},
		{"high-precision", "2026-01-01T00:01:20.000000+00:00 web-01 sshd[4530]: " +
			"Failed password for root from 203.0.113.78 port 50111 ssh2"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			p := New(nil, clockAt(readAt))
			line := []byte(bm.line)
			var r record.Record
			b.ReportAllocs()
			b.SetBytes(int64(len(line)))
			for b.Loop() {
				if p.Parse(line, &r) != record.Parsed {
					b.Fatal("not parsed")
				}
			}
		})
	}
}
