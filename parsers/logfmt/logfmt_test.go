package logfmt

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corral-logs/corral/parsers/record"
)

type pairs = [][2]string

var parseTests = []struct {
	name string
	line string
	want record.Result
	f    pairs
}{
	{"pairs", `level=info msg=started port=8080`, record.Parsed,
		pairs{{"level", "info"}, {"msg", "started"}, {"port", "8080"}}},
	{"quoted", `msg="quoted \"value\"" k=v`, record.Parsed,
		pairs{{"msg", `quoted "value"`}, {"k", "v"}}},
	{"escapes", `m="a\\b\nc\td\re"`, record.Parsed, pairs{{"m", "a\\b\nc\td\re"}}},
	{"unknown escape kept", `m="C:\path \u00e9"`, record.Parsed, pairs{{"m", `C:\path \u00e9`}}},
	{"quoted with spaces and equals", `a="x = y" b=1`, record.Parsed,
		pairs{{"a", "x = y"}, {"b", "1"}}},
	{"empty quoted", `a="" b=2`, record.Parsed, pairs{{"a", ""}, {"b", "2"}}},
	{"empty value", `a= b=2`, record.Parsed, pairs{{"a", ""}, {"b", "2"}}},
	{"empty value at end", `a=1 b=`, record.Parsed, pairs{{"a", "1"}, {"b", ""}}},
	{"flag", `debug a=1 verbose`, record.Parsed, pairs{{"debug", ""}, {"a", "1"}, {"verbose", ""}}},
	{"equals in value", `url=/q?a=b&c=d`, record.Parsed, pairs{{"url", "/q?a=b&c=d"}}},
	{"quote inside bare value", `a=b"c`, record.Parsed, pairs{{"a", `b"c`}}},
	{"duplicate keys", `k=1 k=2`, record.Parsed, pairs{{"k", "1"}, {"k", "2"}}},
	{"tabs and runs of spaces", "  a=1\t\tb=2   ", record.Parsed, pairs{{"a", "1"}, {"b", "2"}}},
	{"utf8", `msg="naïve café" user=東京`, record.Parsed,
		pairs{{"msg", "naïve café"}, {"user", "東京"}}},
	{"dotted keys", `http.status=200 a-b_c=x`, record.Parsed,
		pairs{{"http.status", "200"}, {"a-b_c", "x"}}},
	{"prose with one pair", `Starting worker retries=3`, record.Parsed,
		pairs{{"Starting", ""}, {"worker", ""}, {"retries", "3"}}},

	{"empty", ``, record.Failed, nil},
	{"spaces", `   `, record.Failed, nil},
	{"prose", `hello world`, record.Failed, nil},
	{"one word", `hello`, record.Failed, nil},
	{"leading equals", `=x a=1`, record.Failed, nil},
	{"quoted token", `a=1 "quoted words"`, record.Failed, nil},
	{"quote in key", `a"b=1`, record.Failed, nil},
	{"unterminated quote", `a="open`, record.Failed, nil},
	{"escaped closing quote", `a="open\"`, record.Failed, nil},
	{"text after closing quote", `a="x"y b=1`, record.Failed, nil},
	{"space before quoted value", `a= "x y"`, record.Failed, nil},
	{"control byte in key", "a\x01b=1", record.Failed, nil},
	{"json", `{"a":"b"}`, record.Failed, nil},
}

func TestParse(t *testing.T) {
	p := New()
	var r record.Record
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			r.AddString("stale", []byte("from an earlier line"))
			got := p.Parse([]byte(tt.line), &r)
			if got != tt.want {
				t.Fatalf("Parse(%q) = %v, want %v", tt.line, got, tt.want)
			}
			if got != record.Parsed {
				return
			}
			if diff := cmp.Diff(tt.f, r.Pairs()); diff != "" {
				t.Errorf("Parse(%q) fields (-want +got):\n%s", tt.line, diff)
			}
			for i := range r.Len() {
				if _, _, kind := r.Field(i); kind != record.String {
					t.Errorf("Parse(%q): field %d has kind %v, want String", tt.line, i, kind)
				}
			}
			if r.Time != 0 || r.Message != nil || r.Unwrap {
				t.Errorf("Parse(%q): Time %d, Message %q, Unwrap %v; want all unset",
					tt.line, r.Time, r.Message, r.Unwrap)
			}
		})
	}
}

// benchLine is a typical logfmt line of about 200 bytes.
const benchLine = `ts=2026-01-01T00:00:01.010Z level=info caller=orders/handler.go:31 ` +
	`msg="request \"done\"" method=GET path=/api/v1/orders/42 status=200 ` +
	`duration_ms=12.5 user_id=1001 request_id=8b7e1c2a-5d1f cached`

func BenchmarkParse(b *testing.B) {
	p := New()
	var r record.Record
	line := []byte(benchLine)
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if p.Parse(line, &r) != record.Parsed {
			b.Fatal("not parsed")
		}
	}
}

func TestParseAllocatesNothing(t *testing.T) {
	p := New()
	var r record.Record
	line := []byte(benchLine)
	p.Parse(line, &r) // grow the buffers
	if n := testing.AllocsPerRun(100, func() { p.Parse(line, &r) }); n != 0 {
		t.Errorf("Parse allocates %v times per line, want 0", n)
	}
}
