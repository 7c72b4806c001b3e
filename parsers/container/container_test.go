package container

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/corral-logs/corral/parsers/record"
)

type pairs = [][2]string

// event is a record as a test states it.
type event struct {
	Result  record.Result
	Time    int64
	Message string
	Fields  pairs
	Holding bool // Holding() after the call
}

// parser is what CRI and Docker have in common.
type parser interface {
	record.Parser
	Holding() bool
	Flush(r *record.Record) bool
}

// runTest is a case of TestCRI or TestDocker: lines fed to a parser whose
// MaxBytes is max, the event each makes and the records Flush returns.
type runTest struct {
	name    string
	max     int
	lines   []string
	want    []event
	flushed []event
}

// got returns what r holds after a call that returned res.
func got(p parser, res record.Result, r *record.Record) event {
	e := event{Result: res, Holding: p.Holding()}
	if res != record.Parsed {
		return e
	}
	e.Time, e.Message, e.Fields = r.Time, string(r.Message), r.Pairs()
	return e
}

// run feeds lines to p and then flushes it, returning an event per line
// and per record flushed.
func run(t *testing.T, p parser, lines []string) (parsed, flushed []event) {
	t.Helper()
	var r record.Record
	for _, line := range lines {
		res := p.Parse([]byte(line), &r)
		if res == record.Parsed && (!r.Unwrap || r.Message == nil) {
			t.Errorf("Parse(%q): Unwrap %v, Message nil %v; want true, false",
				line, r.Unwrap, r.Message == nil)
		}
		parsed = append(parsed, got(p, res, &r))
	}
	for p.Flush(&r) {
		if !r.Unwrap || r.Message == nil {
			t.Errorf("Flush: Unwrap %v, Message nil %v; want true, false", r.Unwrap, r.Message == nil)
		}
		flushed = append(flushed, got(p, record.Parsed, &r))
	}
	if p.Holding() {
		t.Errorf("Holding() after Flush returned false")
	}
	return parsed, flushed
}

// benchParse measures p parsing line, a whole line that makes a record.
func benchParse(b *testing.B, p parser, line string) {
	var r record.Record
	in := []byte(line)
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if p.Parse(in, &r) != record.Parsed {
			b.Fatal("not parsed")
		}
	}
}

// checkNoAllocs checks that p parses lines, once its buffers have grown,
// without allocating.
func checkNoAllocs(t *testing.T, p parser, lines ...string) {
	t.Helper()
	var r record.Record
	in := make([][]byte, len(lines))
	for i, l := range lines {
		in[i] = []byte(l)
		p.Parse(in[i], &r) // grow the buffers
	}
	n := testing.AllocsPerRun(100, func() {
		for _, l := range in {
			p.Parse(l, &r)
		}
	})
	if n != 0 {
		t.Errorf("Parse allocates %v times per %d lines, want 0", n, len(lines))
	}
}

// ms returns an RFC 3339 time in Unix milliseconds.
func ms(s string) int64 {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UnixMilli()
}

func TestParseTime(t *testing.T) {
	tests := []string{
		"2024-01-02T03:04:05Z",
		"2024-01-02T03:04:05.123456789Z",
		"2024-01-02T03:04:05.1Z",
		"2024-01-02T03:04:05.0019Z",
		"2024-01-02T03:04:05.1234567891234Z",
		"2024-01-02T03:04:05+01:00",
		"2024-01-02T03:04:05.5-05:30",
		"1969-12-31T23:59:59.999Z",
		"0001-01-01T00:00:00Z",
		"2024-02-29T00:00:00Z",
		"2023-02-29T00:00:00Z",
		"2024-04-31T00:00:00Z",
		"2024-13-01T00:00:00Z",
		"2024-01-00T00:00:00Z",
		"2024-01-01T24:00:00Z",
		"2024-01-01T00:60:00Z",
		"2024-01-01T00:00:60Z",
		"2024-01-01T00:00:00",
		"2024-01-01T00:00:00.Z",
		"2024-01-01T00:00:00+0100",
		"2024-01-01T00:00:00z",
		"2024-01-01t00:00:00Z",
		"2024-01-01 00:00:00Z",
		"2024-01-01T00:00:00ZZ",
		"+024-01-01T00:00:00Z",
		"",
	}
	for _, s := range tests {
		want, err := time.Parse(time.RFC3339Nano, s)
		got, ok := parseTime([]byte(s))
		if ok != (err == nil) || ok && got != want.UnixMilli() {
			t.Errorf("parseTime(%q) = %d, %v; time.Parse gives %d, %v", s, got, ok, want.UnixMilli(), err)
		}
	}

	// time.Parse takes these; RFC 3339 does not.
	for _, s := range []string{"2024-01-01T00:00:00+24:00", "2024-01-01T00:00:00+01:60",
		"2024-01-02T0:04:07+01:00"} {
		if got, ok := parseTime([]byte(s)); ok {
			t.Errorf("parseTime(%q) = %d, true; want false", s, got)
		}
	}
}

func TestParseTimeAllocatesNothing(t *testing.T) {
	b := []byte("2024-01-02T03:04:05.123456789+01:00")
	if n := testing.AllocsPerRun(100, func() { parseTime(b) }); n != 0 {
		t.Errorf("parseTime allocates %v times, want 0", n)
	}
}

func TestFlushEmpty(t *testing.T) {
	for _, p := range []parser{NewCRI(), NewDocker()} {
		var r record.Record
		r.AddString("stale", nil)
		if p.Holding() || p.Flush(&r) || r.Len() != 0 {
			t.Errorf("%T: new parser holds something", p)
		}
	}
}

// checkRun compares a run's events with the wanted ones.
func checkRun(t *testing.T, p parser, lines []string, want, wantFlushed []event) {
	t.Helper()
	parsed, flushed := run(t, p, lines)
	if diff := cmp.Diff(want, parsed); diff != "" {
		t.Errorf("Parse results (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantFlushed, flushed); diff != "" {
		t.Errorf("Flush results (-want +got):\n%s", diff)
	}
}
