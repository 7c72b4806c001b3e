package vpcflow

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corral-logs/corral/internal/shared"
	"github.com/corral-logs/corral/parsers/record"
)

// parsed is one record read, with a copy of its line and fields.
type parsed struct {
	line string
	res  record.Result
	rec  *record.Record
}

func readAll(t testing.TB, src io.Reader) ([]parsed, *Reader) {
	t.Helper()
	r := NewReader(src)
	var out []parsed
	for {
		rec := new(record.Record)
		line, res, err := r.Next(rec)
		if err == io.EOF {
			return out, r
		}
		if err != nil {
			t.Fatalf("line %d: %v", len(out)+1, err)
		}
		out = append(out, parsed{string(line), res, rec})
	}
}

func readGzip(t testing.TB, path string) ([]parsed, *Reader) {
	t.Helper()
	return readAll(t, bytes.NewReader(shared.Gunzip(t, path)))
}

func TestSharedFiles(t *testing.T) {
	type entry struct {
		Events   int            `json:"events"`
		Fields   int            `json:"fields"`
		Version  int            `json:"format_version"`
		ByStatus map[string]int `json:"by_log_status"`
		MinStart int64          `json:"min_start"`
		MaxStart int64          `json:"max_start"`
		BPA      int            `json:"reject_reason_BPA"`
	}
	all := shared.Expected[entry](t)
	n := 0
	for rel, want := range all {
		if !strings.HasPrefix(rel, "vpcflow/") {
			continue
		}
		n++
		t.Run(filepath.Base(rel), func(t *testing.T) {
			recs, r := readGzip(t, shared.Testdata(t, rel))
			if len(recs) != want.Events {
				t.Fatalf("records = %d, want %d", len(recs), want.Events)
			}
			if got := len(r.Fields()); got != want.Fields {
				t.Errorf("header fields = %d, want %d", got, want.Fields)
			}
			status := map[string]int{}
			bpa := 0
			minStart, maxStart := int64(1<<62), int64(0)
			for i, p := range recs {
				if p.res != record.Parsed {
					t.Errorf("record %d not parsed: %q", i+1, p.line)
				}
				v, _, _ := p.rec.Get("log-status")
				status[string(v)]++
				if v, _, _ := p.rec.Get("reject-reason"); string(v) == "BPA" {
					bpa++
				}
				if v, kind, _ := p.rec.Get("version"); string(v) != string(rune('0'+want.Version)) || kind != record.JSON {
					t.Errorf("record %d: version %q (kind %v), want %d", i+1, v, kind, want.Version)
				}
				minStart = min(minStart, p.rec.Time/1000)
				maxStart = max(maxStart, p.rec.Time/1000)
				if p.rec.Time%1000 != 0 || p.rec.Time == 0 {
					t.Errorf("record %d: time %d is not start × 1000", i+1, p.rec.Time)
				}
			}
			if !cmp.Equal(status, want.ByStatus) {
				t.Errorf("by log-status: %s", cmp.Diff(want.ByStatus, status))
			}
			if minStart != want.MinStart || maxStart != want.MaxStart {
				t.Errorf("start range [%d, %d], want [%d, %d]", minStart, maxStart, want.MinStart, want.MaxStart)
			}
			if bpa != want.BPA {
				t.Errorf("reject-reason BPA on %d records, want %d", bpa, want.BPA)
			}
		})
	}
	if n != 4 {
		t.Errorf("expected.json lists %d flow log files, want 4", n)
	}
}

// TestCaseB42 is case B42: NODATA and SKIPDATA records keep their "-"
// fields absent, neither 0 nor an error.
func TestCaseB42(t *testing.T) {
	recs, _ := readGzip(t, shared.Case(t, "B42", "flow-v2.log.gz"))
	if len(recs) != 3 {
		t.Fatalf("records = %d, want 3 (the header is not one)", len(recs))
	}
	for i, p := range recs {
		if p.res != record.Parsed || p.rec.Time != 1773993600000 {
			t.Errorf("record %d: result %v, time %d; want parsed, 1773993600000", i+1, p.res, p.rec.Time)
		}
	}
	type kv struct {
		Key, Value string
		JSON       bool
	}
	fields := func(rec *record.Record) []kv {
		var out []kv
		for i := range rec.Len() {
			k, v, kind := rec.Field(i)
			out = append(out, kv{string(k), string(v), kind == record.JSON})
		}
		return out
	}
	head := []kv{
		{"version", "2", true}, {"account-id", "111122223333", false},
		{"interface-id", "eni-0a1b2c3d4e5f60718", false},
	}
	tail := []kv{{"start", "1773993600", true}, {"end", "1773993660", true}}
	want := [][]kv{
		append(append(append([]kv{}, head...),
			kv{"srcaddr", "10.0.1.5", false}, kv{"dstaddr", "10.0.2.9", false},
			kv{"srcport", "443", true}, kv{"dstport", "49152", true}, kv{"protocol", "6", true},
			kv{"packets", "10", true}, kv{"bytes", "8400", true}),
			append(append([]kv{}, tail...), kv{"action", "ACCEPT", false}, kv{"log-status", "OK", false})...),
		append(append(append([]kv{}, head...), tail...), kv{"log-status", "NODATA", false}),
		append(append(append([]kv{}, head...), tail...), kv{"log-status", "SKIPDATA", false}),
	}
	for i, p := range recs {
		if diff := cmp.Diff(want[i], fields(p.rec)); diff != "" {
			t.Errorf("record %d fields (-want +got):\n%s", i+1, diff)
		}
	}
	if want := "2 111122223333 eni-0a1b2c3d4e5f60718 - - - - - - - 1773993600 1773993660 - NODATA"; recs[1].line != want {
		t.Errorf("message = %q, want the line as it is: %q", recs[1].line, want)
	}
}

func TestReader(t *testing.T) {
	v2 := "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 4 100 160 ACCEPT OK"
	tests := []struct {
		name   string
		in     string
		lines  []string
		failed int
		fields int
	}{
		{"empty", "", nil, 0, 0},
		{"header only", "version start\n", nil, 0, 2},
		{"no header: default format", v2 + "\n" + v2, []string{v2, v2}, 0, 14},
		{"crlf and blank lines", "version start end\r\n\r\n2 100 160\r\n\n2 200 260", []string{"2 100 160", "2 200 260"}, 0, 3},
		{"wrong field count", "start end\n100\n100 160\n", []string{"100", "100 160"}, 1, 2},
		{"custom without version", "interface-id start\neni-1 100\n", []string{"eni-1 100"}, 0, 2},
		{"unknown names only are data", "foo bar\n", []string{"foo bar"}, 1, 14},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, r := readAll(t, strings.NewReader(tt.in))
			var lines []string
			failed := 0
			for _, p := range recs {
				lines = append(lines, p.line)
				if p.res == record.Failed {
					failed++
					if p.rec.Len() != 0 || p.rec.Time != 0 {
						t.Errorf("failed line %q left fields", p.line)
					}
				}
			}
			if !cmp.Equal(lines, tt.lines) || failed != tt.failed || len(r.Fields()) != tt.fields {
				t.Errorf("lines %q, failed %d, fields %d; want %q, %d, %d",
					lines, failed, len(r.Fields()), tt.lines, tt.failed, tt.fields)
			}
		})
	}
}

func TestLongLineIsSkipped(t *testing.T) {
	in := "version start\n2 100\n2 " + strings.Repeat("9", 100) + "\n2 200"
	r := NewReader(strings.NewReader(in))
	r.SetMaxLineBytes(50)
	var rec record.Record
	var got []string
	tooLong := 0
	for {
		line, _, err := r.Next(&rec)
		if err == io.EOF {
			break
		}
		if errors.Is(err, ErrTooLarge) {
			tooLong++
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(line))
	}
	if want := []string{"2 100", "2 200"}; !cmp.Equal(got, want) || tooLong != 1 {
		t.Errorf("lines %q, too long %d; want %q, 1", got, tooLong, want)
	}
}

func BenchmarkReader(b *testing.B) {
	path := shared.Testdata(b, "vpcflow", "AWSLogs", "111111111111", "vpcflowlogs", "us-east-1",
		"2026", "01", "01", "00",
		"111111111111_vpcflowlogs_us-east-1_fl-0f9e8d7c6b5a40321_20260101T0005Z_7a3e9b12.log.gz")
	data := shared.Gunzip(b, path)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var rec record.Record
	for b.Loop() {
		r := NewReader(bytes.NewReader(data))
		for {
			if _, _, err := r.Next(&rec); err != nil {
				break
			}
		}
	}
}

// TestNumberKinds: a counter is written as a JSON number only when it is one
// that every reader of the event can hold: digits without a leading zero, at
// most the largest uint64. Anything else stays a string, exactly as written.
func TestNumberKinds(t *testing.T) {
	tests := []struct {
		v    string
		want record.Kind
	}{
		{"0", record.JSON},
		{"840", record.JSON},
		{"18446744073709551615", record.JSON},
		{"18446744073709551616", record.String},
		{"55555555555555555550", record.String}, // found by FuzzReader in CI
		{"99999999999999999999", record.String},
		{"100000000000000000000", record.String},
		{"01", record.String},
		{"-1", record.String},
		{"1e3", record.String},
	}
	for _, tt := range tests {
		r := NewReader(strings.NewReader("bytes\n" + tt.v + "\n"))
		var rec record.Record
		if _, res, err := r.Next(&rec); err != nil || res != record.Parsed {
			t.Fatalf("%s: %v, %v", tt.v, res, err)
		}
		k, v, kind := rec.Field(0)
		if string(k) != "bytes" || string(v) != tt.v || kind != tt.want {
			t.Errorf("bytes=%s: got %s=%s kind %v, want kind %v", tt.v, k, v, kind, tt.want)
		}
	}
}
