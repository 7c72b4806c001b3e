package timestamp

import (
	"testing"
	"time"
)

func TestBounds(t *testing.T) {
	if want := time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC).UnixMilli(); MinMilli != want {
		t.Errorf("MinMilli = %d, want %d", int64(MinMilli), want)
	}
	if want := time.Date(10000, time.January, 1, 0, 0, 0, 0, time.UTC).UnixMilli() - 1; MaxMilli != want {
		t.Errorf("MaxMilli = %d, want %d", int64(MaxMilli), want)
	}
}

func TestParseMonth(t *testing.T) {
	for m := time.January; m <= time.December; m++ {
		if got := ParseMonth([]byte(m.String()[:3])); got != m {
			t.Errorf("ParseMonth(%q) = %v, want %v", m.String()[:3], got, m)
		}
	}
	for _, s := range []string{"", "Ja", "jan", "JAN", "Janu", "Jan ", " Jan", "Foo"} {
		if got := ParseMonth([]byte(s)); got != 0 {
			t.Errorf("ParseMonth(%q) = %v, want 0", s, got)
		}
	}
}

func TestDigits(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want int
		ok   bool
	}{
		{"00", 59, 0, true},
		{"07", 23, 7, true},
		{"59", 59, 59, true},
		{"60", 59, 0, false},
		{"2026", 9999, 2026, true},
		{"0001", 9999, 1, true},
		{"", 9, 0, false},
		{"1a", 99, 0, false},
		{" 1", 99, 0, false},
		{"-1", 99, 0, false},
		{"+1", 99, 0, false},
		{"99999999999999999999999", 1 << 40, 0, false},
	}
	for _, tt := range tests {
		got, ok := Digits([]byte(tt.in), tt.max)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Digits(%q, %d) = %d, %v; want %d, %v", tt.in, tt.max, got, ok, tt.want, tt.ok)
		}
	}
}

func TestDaysIn(t *testing.T) {
	tests := []struct {
		month time.Month
		year  int
		want  int
	}{
		{time.January, 2026, 31},
		{time.February, 2026, 28},
		{time.February, 2028, 29},
		{time.February, 2000, 29},
		{time.February, 1900, 28},
		{time.April, 2026, 30},
		{time.December, 9999, 31},
	}
	for _, tt := range tests {
		if got := DaysIn(tt.month, tt.year); got != tt.want {
			t.Errorf("DaysIn(%v, %d) = %d, want %d", tt.month, tt.year, got, tt.want)
		}
	}
}

func TestClosestYear(t *testing.T) {
	at := func(year int, month time.Month, day, hour int) time.Time {
		return time.Date(year, month, day, hour, 0, 0, 0, time.UTC)
	}
	tests := []struct {
		name      string
		t, now    time.Time
		wantYear  int
		wantMonth time.Month
	}{
		{"same year", at(0, time.June, 1, 0), at(2026, time.June, 2, 0), 2026, time.June},
		{"Dec 31 read on Jan 1", at(0, time.December, 31, 23), at(2026, time.January, 1, 0), 2025, time.December},
		{"Jan 1 read on Dec 31", at(0, time.January, 1, 0), at(2025, time.December, 31, 23), 2026, time.January},
		{"already in now's year", at(2026, time.December, 31, 23), at(2026, time.January, 1, 0), 2025, time.December},
		{"Feb 29 in a leap year", at(0, time.February, 29, 12), at(2028, time.March, 1, 0), 2028, time.February},
		{"Feb 29 in another year", at(0, time.February, 29, 12), at(2026, time.March, 1, 0), 2026, time.March},
	}
	for _, tt := range tests {
		got := ClosestYear(tt.t, tt.now)
		if got.Year() != tt.wantYear || got.Month() != tt.wantMonth {
			t.Errorf("%s: ClosestYear(%v, %v) = %v, want year %d, %v",
				tt.name, tt.t, tt.now, got, tt.wantYear, tt.wantMonth)
		}
	}
}

// TestPartsDoNotAllocate holds the promise the hand readers rely on.
func TestPartsDoNotAllocate(t *testing.T) {
	if n := testing.AllocsPerRun(100, readParts); n != 0 {
		t.Errorf("%v allocations a run, want 0", n)
	}
}

// Inputs of readParts, package variables so that nothing is constant.
var (
	partMonth = []byte("Dec")
	partYear  = []byte("2025")
	partDay   = []byte("31")
	partT     = time.Date(2026, time.December, 31, 23, 59, 58, 0, time.UTC)
	partNow   = time.Date(2026, time.January, 1, 0, 0, 1, 0, time.UTC)
	partSink  int64
)

// readParts reads a date with every part, as a hand reader does.
func readParts() {
	month := ParseMonth(partMonth)
	year, _ := Digits(partYear, 9999)
	day, _ := Digits(partDay, 31)
	partSink = int64(DaysIn(month, year)+day) + ClosestYear(partT, partNow).UnixMilli()
}

func BenchmarkParts(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		readParts()
	}
}

func TestDateTime(t *testing.T) {
	for _, tt := range []struct {
		in           string
		dateSep, sep byte
		want         int64 // Unix ms; -1 for not a date and time
	}{
		{"2026-01-01T00:00:01Z", '-', 'T', 1767225601000},
		{"2026/01/01 00:00:01", '/', ' ', 1767225601000},
		{"2024-02-29T23:59:59", '-', 'T', 1709251199000},
		{"2025-02-29T00:00:00", '-', 'T', -1},
		{"2026-13-01T00:00:00", '-', 'T', -1},
		{"2026-01-01 00:00:00", '-', 'T', -1},
		{"2026-01-01T24:00:00", '-', 'T', -1},
		{"2026-01-01T00:00", '-', 'T', -1},
		{"2026-0a-01T00:00:00", '-', 'T', -1},
	} {
		got, ok := DateTime([]byte(tt.in), tt.dateSep, tt.sep, time.UTC)
		if tt.want < 0 && ok || tt.want >= 0 && (!ok || got.UnixMilli() != tt.want) {
			t.Errorf("DateTime(%q) = %v, %v; want %d", tt.in, got, ok, tt.want)
		}
	}
	in := []byte("2026/01/01 00:00:01")
	if n := testing.AllocsPerRun(100, func() { DateTime(in, '/', ' ', time.UTC) }); n != 0 {
		t.Errorf("DateTime allocates %.0f times, want 0", n)
	}
}
