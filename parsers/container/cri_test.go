package container

import (
	"strings"
	"testing"

	"github.com/corral-logs/corral/parsers/record"
)

const (
	t1 = "2024-01-02T03:04:05.123456789Z"
	t2 = "2024-01-02T03:04:06.5Z"
	t3 = "2024-01-02T03:04:07+01:00"
)

var (
	P, F, X = record.Parsed, record.Failed, record.Partial
	out     = pairs{{"stream", "stdout"}}
	errs    = pairs{{"stream", "stderr"}}
)

var criTests = []runTest{
	{name: "whole lines",
		lines: []string{t1 + " stdout F hello world", t2 + " stderr F oops", t3 + " stdout F   padded "},
		want: []event{{P, ms(t1), "hello world", out, false}, {P, ms(t2), "oops", errs, false},
			{P, ms(t3), "  padded ", out, false}}},
	{name: "empty text",
		lines: []string{t1 + " stdout F ", t1 + " stdout F"},
		want:  []event{{P, ms(t1), "", out, false}, {P, ms(t1), "", out, false}}},
	{name: "tag with more parts",
		lines: []string{t1 + " stdout F:x:y text", t1 + " stdout P:z a", t2 + " stdout F b"},
		want: []event{{P, ms(t1), "text", out, false}, {X, 0, "", nil, true},
			{P, ms(t1), "ab", out, false}}},
	{name: "partials joined, first time kept",
		lines: []string{t1 + " stdout P part one, ", t2 + " stdout P part two, ", t3 + " stdout F end"},
		want: []event{{X, 0, "", nil, true}, {X, 0, "", nil, true},
			{P, ms(t1), "part one, part two, end", out, false}}},
	{name: "streams joined apart",
		lines: []string{t1 + " stdout P o1 ", t2 + " stderr P e1 ", t2 + " stdout F o2",
			t3 + " stderr F e2"},
		want: []event{{X, 0, "", nil, true}, {X, 0, "", nil, true},
			{P, ms(t1), "o1 o2", out, true}, {P, ms(t2), "e1 e2", errs, false}}},
	{name: "empty pieces",
		lines: []string{t1 + " stdout P", t2 + " stdout F"},
		want:  []event{{X, 0, "", nil, true}, {P, ms(t1), "", out, false}}},
	{name: "held piece flushed at end",
		lines:   []string{t1 + " stdout F done", t2 + " stdout P no end"},
		want:    []event{{P, ms(t1), "done", out, false}, {X, 0, "", nil, true}},
		flushed: []event{{P, ms(t2), "no end", out, false}}},
	{name: "flush oldest first",
		lines:   []string{t2 + " stderr P e", t1 + " stdout P o"},
		want:    []event{{X, 0, "", nil, true}, {X, 0, "", nil, true}},
		flushed: []event{{P, ms(t2), "e", errs, true}, {P, ms(t1), "o", out, false}}},
	{name: "bad lines keep what is held",
		lines: []string{t1 + " stdout P a", "garbage", t1 + " stdin F x", t1 + " stdout X x",
			"2024-13-02T03:04:05Z stdout F x", t1 + "  stdout F x", t1 + " stdout", "", t2 + " stdout F b"},
		want: []event{{X, 0, "", nil, true}, {F, 0, "", nil, true}, {F, 0, "", nil, true},
			{F, 0, "", nil, true}, {F, 0, "", nil, true}, {F, 0, "", nil, true}, {F, 0, "", nil, true},
			{F, 0, "", nil, true}, {P, ms(t1), "ab", out, false}}},
	{name: "cap emits what was gathered",
		max: 10,
		lines: []string{t1 + " stdout P 1234", t2 + " stdout P 5678", t3 + " stdout P 9abc",
			t1 + " stdout P de", t2 + " stdout F f"},
		want: []event{{X, 0, "", nil, true}, {X, 0, "", nil, true},
			{P, ms(t1), "123456789abc", out, false},
			{X, 0, "", nil, true}, {P, ms(t1), "def", out, false}}},
	{name: "cap reached exactly",
		max:   4,
		lines: []string{t1 + " stdout P 1234", t2 + " stdout F 5"},
		want:  []event{{P, ms(t1), "1234", out, false}, {P, ms(t2), "5", out, false}}},
	{name: "whole line over the cap is kept whole",
		max:   4,
		lines: []string{t1 + " stdout F 123456"},
		want:  []event{{P, ms(t1), "123456", out, false}}},
}

func TestCRI(t *testing.T) {
	for _, tt := range criTests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewCRI()
			p.MaxBytes = tt.max
			checkRun(t, p, tt.lines, tt.want, tt.flushed)
		})
	}
}

// TestCRIDefaultCap joins pieces of 16 KiB, as containerd writes them,
// until DefaultMaxBytes.
func TestCRIDefaultCap(t *testing.T) {
	p := NewCRI()
	var r record.Record
	piece := []byte(t1 + " stdout P " + strings.Repeat("x", 16<<10))
	n := 0
	for p.Parse(piece, &r) == record.Partial {
		n++
	}
	if want := DefaultMaxBytes / (16 << 10); n != want || len(r.Message) != (n+1)*16<<10 {
		t.Errorf("record after %d held pieces of 16 KiB with %d bytes; want %d held, then a record",
			n, len(r.Message), want)
	}
}

// benchCRI is a typical CRI line of about 200 bytes.
const benchCRI = t1 + ` stdout F 2026-01-01T00:00:01.010Z INFO orders/handler.go:31 request done ` +
	`method=GET path=/api/v1/orders/42 status=200 duration_ms=12.5 user=1001 request_id=8b7e1c2a-5d1f`

func BenchmarkCRI(b *testing.B) { benchParse(b, NewCRI(), benchCRI) }

func TestCRIAllocatesNothing(t *testing.T) {
	checkNoAllocs(t, NewCRI(), benchCRI, t1+" stderr P a", t2+" stderr F b")
}
