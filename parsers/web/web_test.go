package web

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/corral-logs/corral/parsers/record"
)

// parsed is what a line is expected to parse into.
type parsed struct {
	fields [][2]string
	time   int64  // Unix ms
	msg    string // Record.Message; nil when empty
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

// kv returns fields from alternating keys and values.
func kv(pairs ...string) [][2]string {
	out := make([][2]string, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, [2]string{pairs[i], pairs[i+1]})
	}
	return out
}

func TestAccess(t *testing.T) {
	const at = "[01/Jan/2026:00:00:00 +0000]"
	tests := []struct {
		name, line string
		want       parsed
	}{
		{"apache combined with ident and %b -",
			`192.0.2.1 id42 bob [01/Feb/2026:10:00:00 +0100] "GET /a HTTP/1.1" 304 - "-" "-"`,
			parsed{kv("client", "192.0.2.1", "ident", "id42", "user", "bob", "method", "GET",
				"path", "/a", "protocol", "HTTP/1.1", "status", "304", "bytes", "0"),
				1769936400000, ""}},
		{"common format",
			`host.example - - [01/Jan/2026:00:00:00 -0130] "POST /form HTTP/1.0" 200 17`,
			parsed{kv("client", "host.example", "method", "POST", "path", "/form",
				"protocol", "HTTP/1.0", "status", "200", "bytes", "17"), 1767231000000, ""}},
		{"request with a space in the path",
			`::1 - - ` + at + ` "GET /a b HTTP/1.1" 400 0 "-" "x"`,
			parsed{kv("client", "::1", "request", "GET /a b HTTP/1.1", "status", "400",
				"bytes", "0", "user_agent", "x"), 1767225600000, ""}},
		{"HTTP/0.9 request",
			`::1 - - ` + at + ` "GET /" 200 5`,
			parsed{kv("client", "::1", "request", "GET /", "status", "200", "bytes", "5"),
				1767225600000, ""}},
		{"escapes: quote, backslash, others kept",
			`::1 - - ` + at + ` "GET /\"q\" HTTP/1.1" 200 5 "a\\x\x22\n" "b\\"`,
			parsed{kv("client", "::1", "method", "GET", "path", `/"q"`, "protocol", "HTTP/1.1",
				"status", "200", "bytes", "5", "referer", `a\x\x22\n`, "user_agent", `b\`),
				1767225600000, ""}},
		{"nginx main format: x_forwarded_for after the agent",
			`10.0.0.9 - - ` + at + ` "GET / HTTP/1.1" 200 5 "-" "curl/8.5.0" "198.51.100.1"`,
			parsed{kv("client", "10.0.0.9", "method", "GET", "path", "/", "protocol", "HTTP/1.1",
				"status", "200", "bytes", "5", "user_agent", "curl/8.5.0"), 1767225600000, ""}},
		{"empty quoted values",
			`10.0.0.9 - - ` + at + ` "" 400 0 "" ""`,
			parsed{kv("client", "10.0.0.9", "request", "", "status", "400", "bytes", "0",
				"referer", "", "user_agent", ""), 1767225600000, ""}},
	}
	for _, p := range []*Parser{NewNginx(nil), NewApache()} {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) { check(t, p, tt.line, tt.want) })
		}
	}
}

func TestErrorLog(t *testing.T) {
	east := time.FixedZone("UTC+1", 3600)
	p := NewNginx(east)
	const at = "2026/01/01 01:00:00" // 2026-01-01T00:00:00Z
	check(t, p, at+" [error] 1#0: *7 boom",
		parsed{kv("level", "error", "pid", "1", "tid", "0", "connection", "7"),
			1767225600000, "boom"})
	check(t, p, at+" [debug] 1#0: *7",
		parsed{kv("level", "debug", "pid", "1", "tid", "0", "connection", "7"), 1767225600000, ""})
	check(t, p, at+" [warn] 1#0:",
		parsed{kv("level", "warn", "pid", "1", "tid", "0"), 1767225600000, ""})
	check(t, p, at+" [info] 1#0: *x y",
		parsed{kv("level", "info", "pid", "1", "tid", "0"), 1767225600000, "*x y"})

	// Apache's parser reads access lines only.
	var r record.Record
	if got := NewApache().Parse([]byte(at+" [error] 1#0: *7 boom"), &r); got != record.Failed {
		t.Errorf("Apache parsed an nginx error line: %v", r.Pairs())
	}
}

func TestParseFails(t *testing.T) {
	lines := []string{
		"",
		"plain text",
		`::1 - - 01/Jan/2026:00:00:00 +0000 "GET / HTTP/1.1" 200 5`,
		`::1 - - [01/Jan/2026:00:00:00] "GET / HTTP/1.1" 200 5`,
		`::1 - - [01/Jan/2026:00:00:00 +00:00] "GET / HTTP/1.1" 200 5`,
		`::1 - - [01/jan/2026:00:00:00 +0000] "GET / HTTP/1.1" 200 5`,
		`::1 - - [29/Feb/2026:00:00:00 +0000] "GET / HTTP/1.1" 200 5`,
		`::1 - - [01/Jan/2026:24:00:00 +0000] "GET / HTTP/1.1" 200 5`,
		`::1 - - [01/Jan/0000:00:00:00 +0000] "GET / HTTP/1.1" 200 5`,
		`::1 - - [01/Jan/2026:00:00:00 +0000] GET / HTTP/1.1 200 5`,
		`::1 - - [01/Jan/2026:00:00:00 +0000] "GET / HTTP/1.1 200 5`,
		`::1 - - [01/Jan/2026:00:00:00 +0000] "GET / HTTP/1.1"200 5`,
		`::1 - - [01/Jan/2026:00:00:00 +0000] "GET / HTTP/1.1" 20 5`,
		`::1 - - [01/Jan/2026:00:00:00 +0000] "GET / HTTP/1.1" 200 5b`,
		`::1 - - [01/Jan/2026:00:00:00 +0000] "GET / HTTP/1.1" 200`,
		`::1 - - [01/Jan/2026:00:00:00 +0000] "GET / HTTP/1.1" 200 5 "-"`,
		`::1 - - [01/Jan/2026:00:00:00 +0000] "GET / HTTP/1.1" 200 5 - -`,
		`::1 - - [01/Jan/2026:00:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "a"b`,
		`::1 - user name [01/Jan/2026:00:00:00 +0000] "GET / HTTP/1.1" 200 5`,
		"2026/01/01 00:00:00 [error] 1#0 no colon",
		"2026/01/01 00:00:00 [Error] 1#0: m",
		"2026/01/01 00:00:00 [] 1#0: m",
		"2026/01/01 00:00:00 [error] #0: m",
		"2026/01/01 00:00:00 [error] 1#0:m",
		"2026/13/01 00:00:00 [error] 1#0: m",
		"2026/01/01 00:00:00 error 1#0: m",
	}
	p := NewNginx(nil)
	var r record.Record
	for _, line := range lines {
		if got := p.Parse([]byte(line), &r); got != record.Failed {
			t.Errorf("Parse(%q) = %v, want Failed; fields %v", line, got, r.Pairs())
		}
	}
}
