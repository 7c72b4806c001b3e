package syslog

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/corral-logs/corral/internal/shared"
	"github.com/corral-logs/corral/parsers/record"
	"github.com/corral-logs/corral/parsers/timestamp"
)

// TestRFC3164HostLog reads the BSD sample across New Year at
// 2026-01-01T00:05Z: lines 1-4 are from 2025-12-31, 5-12 from 2026.
func TestRFC3164HostLog(t *testing.T) {
	lines := shared.ReadLines(t, shared.Testdata(t, "hostlogs", "syslog-rfc3164.log"))
	web := host("web-01")
	want := []parsed{
		{join(web, app("systemd", "1")), 1767225595000,
			"Starting apt-daily-upgrade.service - Daily apt upgrade and clean activities..."},
		{join(web, app("CRON", "20411")), 1767225597000,
			"(root) CMD (cd / && run-parts --report /etc/cron.hourly)"},
		{join(web, app("kernel", "")), 1767225598000,
			"[1234567.890123] ena 0000:00:05.0 eth0: link is up"},
		{join(web, app("corral-demo", "3141")), 1767225599000,
			"year boundary probe: last line written in 2025"},
		{join(web, app("corral-demo", "3141")), 1767225600000,
			"year boundary probe: first line written in 2026"},
		{join(web, app("systemd", "1")), 1767225601000,
			"apt-daily-upgrade.service: Deactivated successfully."},
		{join(web, app("dhclient", "812")), 1767225602000,
			"DHCPREQUEST for 10.0.1.23 on eth0 to 10.0.0.2 port 67"},
		{join(web, app("dhclient", "812")), 1767225602000, "DHCPACK of 10.0.1.23 from 10.0.0.2"},
		{join(web, app("chronyd", "700")), 1767225605000, "Selected source 10.0.0.2"},
		{join(web, app("postfix/smtpd", "4410")), 1767225609000,
			"connect from unknown[203.0.113.9]"},
		{join(web, app("su", "4501")), 1767225610000, "(to root) alice on pts/0"},
		{join(pri("13", "user", "notice"), web, app("logger", "")), 1767225612000,
			"a line that kept its network PRI prefix"},
	}
	checkLines(t, lines, want)
}

// TestRFC5424HostLog reads the RFC 5424 sample: a BOM before MSG, a line
// of NILVALUEs, escapes in PARAM-VALUEs, zone offsets and fractions.
func TestRFC5424HostLog(t *testing.T) {
	lines := shared.ReadLines(t, shared.Testdata(t, "hostlogs", "syslog-rfc5424.log"))
	web := host("web-01")
	want := []parsed{
		{join(pri("34", "auth", "crit"), host("web-01.corp.invalid"), app("su", ""),
			[][2]string{{"msgid", "ID47"}}),
			1767225598003, "'su root' failed for alice on /dev/pts/8"},
		{join(pri("165", "local4", "notice"), web, app("corral-demo", "3141"), [][2]string{
			{"msgid", "ORDER"},
			{"sd.origin@32473.ip", "10.0.1.23"},
			{"sd.origin@32473.software", "corral-demo"}}),
			1767222001123, "order 42 created"},
		{join(pri("165", "local4", "notice"), web, app("corral-demo", "3141"), [][2]string{
			{"sd.meta@32473.seq", "7"},
			{"sd.ctx@32473.team", "payments"},
			{"sd.ctx@32473.env", "test"}}),
			1767225602000, "two structured data elements"},
		{pri("13", "user", "notice"), 0, ""},
		{join(pri("86", "authpriv", "info"), web, app("sshd", "4410"), [][2]string{
			{"sd.esc@32473.path", `C:\temp]dir`},
			{"sd.esc@32473.quote", `say "hi"`}}),
			1767243603500, "escapes inside SD-PARAM values"},
		{join(pri("14", "user", "info"), web, app("app", "")), 1767225604000,
			"trailing whitespace is part of MSG\t  "},
		{join(pri("191", "local7", "debug"), web, app("app", "7")), 1767225605000,
			"facility local7, severity debug"},
		{join(pri("0", "kern", "emerg"), web, app("kernel", "")), 1767225606000,
			"facility kern, severity emerg"},
	}
	checkLines(t, lines, want)
}

// TestAuthHostLog reads rsyslog's high-precision sample: every line
// parses, with the time parsers/timestamp reads from its first word.
func TestAuthHostLog(t *testing.T) {
	lines := shared.ReadLines(t, shared.Testdata(t, "hostlogs", "auth.log"))
	if len(lines) != 15 {
		t.Fatalf("auth.log has %d lines, want 15", len(lines))
	}
	rfc3339, err := timestamp.Parse(timestamp.RFC3339, time.UTC, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := New(nil, clockAt(readAt))
	var r record.Record
	for i, line := range lines {
		if got := p.Parse([]byte(line), &r); got != record.Parsed {
			t.Errorf("line %d: Parse = %v, want Parsed", i+1, got)
			continue
		}
		want, _ := rfc3339.Value([]byte(line[:strings.IndexByte(line, ' ')]))
		h, _, _ := r.Get("hostname")
		if r.Time != want || string(h) != "web-01" || len(r.Message) == 0 ||
			!bytes.HasSuffix([]byte(line), r.Message) {
			t.Errorf("line %d: time %d (want %d), hostname %q, message %q",
				i+1, r.Time, want, h, r.Message)
		}
	}

	spot := map[int]parsed{
		1: {join(host("web-01"), app("sshd", "4410")), 1767225481100,
			"Accepted publickey for deploy from 198.51.100.23 port 52144 ssh2: ED25519 " +
				"SHA256:Zm9yLXRlc3RzLW9ubHktbm90LWEtcmVhbC1rZXk"},
		4: {join(host("web-01"), app("sudo", "4480")), 1767225570500,
			"  deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; " +
				"COMMAND=/usr/bin/systemctl restart nginx"},
		11: {join(host("web-01"), app("sshd", "4530")), 1767225685000,
			"message repeated 3 times: " +
				"[ Failed password for root from 203.0.113.78 port 50111 ssh2]"},
		15: {join(host("web-01"), app("sshd", "4410")), 1767225824000,
			"Received disconnect from 198.51.100.23 port 52144:11: disconnected by user"},
	}
	for n, want := range spot {
		check(t, p, lines[n-1], want)
	}
}

// checkLines checks every line of a sample against want, read at readAt.
func checkLines(t *testing.T, lines []string, want []parsed) {
	t.Helper()
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d", len(lines), len(want))
	}
	p := New(nil, clockAt(readAt))
	for i, line := range lines {
		check(t, p, line, want[i])
	}
}

// TestCaseB25NewYear is case B25 of the shared failure cases: BSD
// timestamps get the year closest to the clock, on both sides of New
// Year, and never year 0 or 1970.
func TestCaseB25NewYear(t *testing.T) {
	a := shared.ReadLines(t, shared.Case(t, "B25", "newyear-a.txt"))
	b := shared.ReadLines(t, shared.Case(t, "B25", "newyear-b.txt"))
	if len(a) != 2 || len(b) != 1 {
		t.Fatalf("case files hold %d and %d lines, want 2 and 1", len(a), len(b))
	}
	tests := []struct {
		part  string
		clock time.Time
		line  string
		want  parsed
	}{
		{"A", time.Date(2027, 1, 1, 0, 0, 30, 0, time.UTC), a[0],
			parsed{join(host("host-a"), app("app", "")), 1798761598000, "last-of-year"}},
		{"A", time.Date(2027, 1, 1, 0, 0, 30, 0, time.UTC), a[1],
			parsed{join(host("host-a"), app("app", "")), 1798761602000, "first-of-year"}},
		{"B", time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC), b[0],
			parsed{join(host("host-a"), app("app", "")), 1798761601000, "sender-clock-ahead"}},
	}
	for _, tt := range tests {
		t.Run(tt.part, func(t *testing.T) {
			check(t, New(time.UTC, clockAt(tt.clock)), tt.line, tt.want)
		})
	}
}
