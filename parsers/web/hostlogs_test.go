package web

import (
	"strings"
	"testing"
	"time"

	"github.com/corral-logs/corral/internal/shared"
	"github.com/corral-logs/corral/parsers/record"
)

// TestNginxAccessHostLog reads the nginx access sample with both parsers:
// every line parses, with the time time.Parse reads; some lines are
// checked field by field.
func TestNginxAccessHostLog(t *testing.T) {
	lines := shared.ReadLines(t, shared.Testdata(t, "hostlogs", "nginx-access.log"))
	if len(lines) != 20 {
		t.Fatalf("nginx-access.log has %d lines, want 20", len(lines))
	}
	spot := map[int]parsed{
		1: {kv("client", "203.0.113.10", "method", "GET", "path", "/", "protocol", "HTTP/1.1",
			"status", "200", "bytes", "612",
			"user_agent", "Mozilla/5.0 (X11; Linux x86_64) corral-test/1.0"),
			1767225598000, ""},
		2: {kv("client", "198.51.100.7", "user", "alice", "method", "POST",
			"path", "/api/v1/orders?id=42&token=FAKE-QUERY-TOKEN-123", "protocol", "HTTP/2.0",
			"status", "201", "bytes", "89", "referer", "https://shop.example.com/cart",
			"user_agent", "curl/8.5.0"),
			1767225599000, ""},
		3: {kv("client", "2001:db8::1f", "method", "GET", "path", "/healthz",
			"protocol", "HTTP/1.1", "status", "200", "bytes", "2", "user_agent", "ELB-HealthChecker/2.0"),
			1767225600000, ""},
		6: {kv("client", "203.0.113.200", "request", `\x16\x03\x01\x02\x00\x01\x00\x01\xFC\x03\x03`,
			"status", "400", "bytes", "157"),
			1767225602000, ""},
		7: {kv("client", "198.51.100.99", "request", "-", "status", "400", "bytes", "0"),
			1767225602000, ""},
		10: {kv("client", "198.51.100.7", "user", "alice", "method", "GET", "path", "/account",
			"protocol", "HTTP/2.0", "status", "200", "bytes", "2048",
			"user_agent", `Mozilla/5.0 "quoted" agent with \backslash`),
			1767225604000, ""},
	}
	for _, p := range []*Parser{NewNginx(nil), NewApache()} {
		var r record.Record
		for i, line := range lines {
			if got := p.Parse([]byte(line), &r); got != record.Parsed {
				t.Errorf("line %d: Parse = %v, want Parsed", i+1, got)
				continue
			}
			ts := line[strings.IndexByte(line, '[')+1 : strings.IndexByte(line, ']')]
			want, err := time.Parse("02/Jan/2006:15:04:05 -0700", ts)
			if err != nil || r.Time != want.UnixMilli() || r.Message != nil {
				t.Errorf("line %d: time %d, want %v (%v); message %q",
					i+1, r.Time, want, err, r.Message)
			}
		}
		for n, want := range spot {
			check(t, p, lines[n-1], want)
		}
	}
}

// TestNginxErrorHostLog reads every line of the nginx error sample.
func TestNginxErrorHostLog(t *testing.T) {
	lines := shared.ReadLines(t, shared.Testdata(t, "hostlogs", "nginx-error.log"))
	fields := func(level, pid, conn string) [][2]string {
		f := [][2]string{{"level", level}, {"pid", pid}, {"tid", pid}}
		if conn != "" {
			f = append(f, [2]string{"connection", conn})
		}
		return f
	}
	want := []parsed{
		{fields("notice", "1200", ""), 1767225599000, "signal process started"},
		{fields("error", "1201", "17"), 1767225603000,
			`open() "/usr/share/nginx/html/favicon.ico" failed (2: No such file or directory), ` +
				`client: 203.0.113.10, server: shop.example.com, ` +
				`request: "GET /favicon.ico HTTP/1.1", host: "shop.example.com"`},
		{fields("error", "1201", "18"), 1767225603000,
			`upstream timed out (110: Connection timed out) while reading response header ` +
				`from upstream, client: 192.0.2.46, server: shop.example.com, ` +
				`request: "GET /api/v1/orders/44 HTTP/1.1", ` +
				`upstream: "http://10.0.2.15:8080/api/v1/orders/44", host: "shop.example.com"`},
		{fields("warn", "1202", "19"), 1767225604000,
			`an upstream response is buffered to a temporary file ` +
				`/var/cache/nginx/proxy_temp/1/00/0000000001 while reading upstream, ` +
				`client: 198.51.100.9, server: shop.example.com, ` +
				`request: "GET /api/v1/orders?page=2&size=50 HTTP/1.1", ` +
				`upstream: "http://10.0.2.15:8080/api/v1/orders?page=2&size=50", ` +
				`host: "shop.example.com"`},
		{fields("crit", "1201", "20"), 1767225605000,
			`SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share) ` +
				`while SSL handshaking, client: 203.0.113.200, server: 0.0.0.0:443`},
		{fields("info", "1201", "21"), 1767225606000,
			"client 198.51.100.99 closed keepalive connection"},
		{fields("alert", "1200", ""), 1767225607000,
			"worker process 1203 exited on signal 9"},
		{fields("emerg", "1300", ""), 1767225608000,
			"bind() to 0.0.0.0:80 failed (98: Address already in use)"},
	}
	if len(lines) != len(want) {
		t.Fatalf("nginx-error.log has %d lines, want %d", len(lines), len(want))
	}
	p := NewNginx(time.UTC)
	for i, line := range lines {
		check(t, p, line, want[i])
	}
}
