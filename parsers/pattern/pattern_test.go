package pattern

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corral-logs/corral/parsers/record"
)

type pairs = [][2]string

// nginx is an expression for nginx's combined access log format.
const nginx = `^(?P<remote_addr>\S+) - (?P<remote_user>\S+) \[(?P<time_local>[^\]]+)\] ` +
	`"(?P<request>[^"]*)" (?P<status>\d{3}) (?P<body_bytes_sent>\d+) ` +
	`"(?P<http_referer>[^"]*)" "(?P<http_user_agent>[^"]*)"$`

var parseTests = []struct {
	name string
	expr string
	line string
	want record.Result
	f    pairs
}{
	{"nginx combined", nginx,
		`203.0.113.9 - - [01/Jan/2026:00:00:01 +0000] "GET /api/v1/orders/42 HTTP/1.1" ` +
			`200 512 "-" "curl/8.5.0"`,
		record.Parsed, pairs{{"remote_addr", "203.0.113.9"}, {"remote_user", "-"},
			{"time_local", "01/Jan/2026:00:00:01 +0000"}, {"request", "GET /api/v1/orders/42 HTTP/1.1"},
			{"status", "200"}, {"body_bytes_sent", "512"}, {"http_referer", "-"},
			{"http_user_agent", "curl/8.5.0"}}},
	{"unanchored matches mid-line", `user=(?P<user>\w+)`, `login ok user=alice from 10.0.0.1`,
		record.Parsed, pairs{{"user", "alice"}}},
	{"leftmost match", `(?P<n>\d+)`, `a 12 b 345`, record.Parsed, pairs{{"n", "12"}}},
	{"unnamed groups ignored", `(\w+) (?P<b>\w+) (?:\w+) (\w+)`, `one two three four`,
		record.Parsed, pairs{{"b", "two"}}},
	{"other name syntax", `(?<level>[A-Z]+): (?P<msg>.*)`, `WARN: disk full`,
		record.Parsed, pairs{{"level", "WARN"}, {"msg", "disk full"}}},
	{"optional group absent", `^(?P<a>\w+)(?: (?P<b>\d+))?$`, `word`, record.Parsed,
		pairs{{"a", "word"}}},
	{"optional group present", `^(?P<a>\w+)(?: (?P<b>\d+))?$`, `word 7`, record.Parsed,
		pairs{{"a", "word"}, {"b", "7"}}},
	{"alternation", `^(?:(?P<num>\d+)|(?P<word>[a-z]+))$`, `abc`, record.Parsed,
		pairs{{"word", "abc"}}},
	{"empty group", `^(?P<a>\d*)-(?P<b>.*)$`, `-`, record.Parsed, pairs{{"a", ""}, {"b", ""}}},
	{"nested groups in order", `(?P<outer>a(?P<inner>b)c)`, `abc`, record.Parsed,
		pairs{{"outer", "abc"}, {"inner", "b"}}},
	{"duplicate names", `(?P<x>\d)(?P<x>\d)`, `12`, record.Parsed, pairs{{"x", "1"}, {"x", "2"}}},
	{"utf8", `^(?P<city>\p{Han}+) (?P<rest>.*)$`, `東京 naïve`, record.Parsed,
		pairs{{"city", "東京"}, {"rest", "naïve"}}},
	{"no match", nginx, `not an access log line`, record.Failed, nil},
	{"anchored no match", `^(?P<a>\d+)$`, `12x`, record.Failed, nil},
	{"empty line", `^(?P<a>\d+)$`, ``, record.Failed, nil},
}

func TestParse(t *testing.T) {
	var r record.Record
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(tt.expr)
			if err != nil {
				t.Fatalf("New(%q): %v", tt.expr, err)
			}
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
			if r.Time != 0 || r.Message != nil || r.Unwrap {
				t.Errorf("Parse(%q): Time %d, Message %q, Unwrap %v; want all unset",
					tt.line, r.Time, r.Message, r.Unwrap)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		expr    string
		noNames bool   // errors.Is(err, ErrNoNames)
		text    string // in the error's text
	}{
		{`(?P<a>[a-`, false, "compile pattern: error parsing regexp: missing closing ]"},
		{`(?P<a b>x)`, false, "invalid named capture"},
		{`^\d+ (\w+)$`, true, "no named group"},
		{``, true, "no named group"},
	}
	for _, tt := range tests {
		p, err := New(tt.expr)
		if err == nil {
			t.Errorf("New(%q) = %v, want an error", tt.expr, p)
			continue
		}
		if errors.Is(err, ErrNoNames) != tt.noNames || !strings.Contains(err.Error(), tt.text) {
			t.Errorf("New(%q) error %q; want one containing %q (ErrNoNames %v)",
				tt.expr, err, tt.text, tt.noNames)
		}
	}
}

// benchLine is an nginx access log line of about 200 bytes.
const benchLine = `203.0.113.9 - - [01/Jan/2026:00:00:01 +0000] ` +
	`"GET /api/v1/orders/42?expand=items HTTP/1.1" 200 512 "https://shop.example.com/cart" ` +
	`"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101"`

func BenchmarkParse(b *testing.B) {
	p, err := New(nginx)
	if err != nil {
		b.Fatal(err)
	}
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
