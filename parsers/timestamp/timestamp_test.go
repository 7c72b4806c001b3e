package timestamp

import (
	"testing"
	"time"
)

func TestLeading(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 30, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	ms := func(s string) int64 {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixMilli()
	}
	tests := []struct {
		format, line string
		want         int64
		ok           bool
	}{
		{RFC3339, "2026-03-17T00:00:00Z span-1", 1773705600000, true},
		{RFC3339, "2026-03-20T11:00:00.250+01:00 x", ms("2026-03-20T10:00:00.250Z"), true},
		{RFC3339, "no timestamp here", 0, false},
		{RFC3339Nano, "2025-12-31T23:58:01.100321+00:00 sshd", ms("2025-12-31T23:58:01.100Z"), true},
		{Unix, "1767224940.5 flow", 1767224940500, true},
		{UnixMilli, "1773878400000 ok-1", 1773878400000, true},
		{Syslog, "Dec 31 23:59:58 host kernel: x", ms("2025-12-31T23:59:58Z"), true},
		{Syslog, "Jan  1 00:00:01 host cron[1]: y", ms("2026-01-01T00:00:01Z"), true},
		{"2006-01-02 15:04:05.000", "2026-03-20 10:00:01.123 ERROR boom", ms("2026-03-20T10:00:01.123Z"), true},
		{"2006-01-02 15:04:05.000", "2026-03-20", 0, false},
		{RFC3339, "2026-03-17T00:00:00Z", 1773705600000, true},
	}
	for _, tt := range tests {
		f, err := Parse(tt.format, time.UTC, clock)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := f.Leading([]byte(tt.line))
		if ok != tt.ok || got != tt.want {
			t.Errorf("%s Leading(%q) = %d, %v; want %d, %v", tt.format, tt.line, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseRefusesUnknownFormats(t *testing.T) {
	if _, err := Parse("iso-ish", nil, nil); err == nil {
		t.Error("unknown format accepted")
	}
}

func FuzzLeading(f *testing.F) {
	f.Add("2026-03-17T00:00:00Z x", "rfc3339")
	f.Add("Jan  1 00:00:01 y", "syslog")
	f.Add("1767224940.5", "unix")
	f.Fuzz(func(t *testing.T, line, format string) {
		fm, err := Parse(format, nil, func() time.Time { return time.Unix(1767225600, 0) })
		if err != nil {
			return
		}
		fm.Leading([]byte(line)) // must not panic
	})
}
