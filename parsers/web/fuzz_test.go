package web

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/corral-logs/corral/parsers/record"
	"github.com/corral-logs/corral/parsers/timestamp"
)

// seeds are lines of every shape the parsers know, for the fuzz tests.
var seeds = []string{
	`198.51.100.7 - alice [31/Dec/2025:23:59:59 +0000] "POST /o?id=4 HTTP/2.0" 201 8 "https://x/" "c"`,
	`2001:db8::1f - - [01/Jan/2026:00:00:00 +0000] "GET /healthz HTTP/1.1" 200 2 "-" "ELB/2.0"`,
	`203.0.113.200 - - [01/Jan/2026:00:00:02 +0000] "\x16\x03\x01\x02\x00" 400 157 "-" "-"`,
	`198.51.100.99 - - [01/Jan/2026:00:00:02 +0000] "-" 400 0 "-" "-"`,
	`198.51.100.7 - alice [01/Jan/2026:00:00:04 +0000] "GET / HTTP/2.0" 200 2048 "-" "M \"q\" \\b"`,
	`192.0.2.1 id42 bob [01/Feb/2026:10:00:00 +0100] "GET /a HTTP/1.1" 304 -`,
	`10.0.0.9 - - [01/Jan/2026:00:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "curl" "198.51.100.1"`,
	"2026/01/01 00:00:03 [error] 1201#1201: *17 open() failed, client: 203.0.113.10",
	"2025/12/31 23:59:59 [notice] 1200#1200: signal process started",
	"2026/01/01 01:00:00 [debug] 1#0: *7",
}

// FuzzWeb parses arbitrary lines with the nginx parser (even mode) or the
// Apache parser (odd mode).
func FuzzWeb(f *testing.F) {
	for i, s := range seeds {
		f.Add([]byte(s), uint8(i))
	}
	for _, name := range []string{"nginx-access.log", "nginx-error.log"} {
		path := filepath.Join("..", "..", "..", "shared", "testdata", "hostlogs", name)
		data, err := os.ReadFile(path)
		if err == nil {
			for line := range bytes.Lines(data) {
				f.Add(bytes.TrimSuffix(line, []byte("\n")), uint8(0))
			}
		}
	}
	f.Fuzz(func(t *testing.T, line []byte, mode uint8) {
		p := NewNginx(time.FixedZone("UTC-8", -8*3600))
		if mode%2 == 1 {
			p = NewApache()
		}
		var r, dirty record.Record
		if p.Parse(line, &r) != record.Parsed {
			return
		}
		for i := range r.Len() {
			if k, _, _ := r.Field(i); len(k) == 0 {
				t.Fatalf("field %d has an empty key: %q", i, r.Pairs())
			}
		}
		if r.Message != nil && (len(r.Message) == 0 || !bytes.HasSuffix(line, r.Message)) {
			t.Fatalf("message %q is not a non-empty end of the line", r.Message)
		}
		if r.Time != 0 && (r.Time < timestamp.MinMilli || r.Time > timestamp.MaxMilli) {
			t.Fatalf("time %d is outside the years 1 to 9999", r.Time)
		}

		// A record used before parses the line the same.
		p.Parse([]byte(seeds[4]), &dirty)
		if p.Parse(line, &dirty) != record.Parsed || !dirty.Equal(&r) {
			t.Fatalf("a reused record parses to %q, a new one to %q", dirty.Pairs(), r.Pairs())
		}
	})
}

// FuzzTimes checks that whatever time the hand readers accept, time.Parse
// reads to the same instant.
func FuzzTimes(f *testing.F) {
	f.Add("31/Dec/2025:23:59:59 +0000")
	f.Add("29/Feb/2028:12:00:00 -0530")
	f.Add("2026/01/01 00:00:03")
	f.Fuzz(func(t *testing.T, text string) {
		if ms, ok := parseCLFTime([]byte(text)); ok {
			want, err := time.Parse("02/Jan/2006:15:04:05 -0700", text)
			if err != nil || ms != want.UnixMilli() {
				t.Fatalf("parseCLFTime(%q) = %d; time.Parse: %v, %v", text, ms, want, err)
			}
		}
		loc := time.FixedZone("UTC+9", 9*3600)
		if ms, ok := NewNginx(loc).errorTime([]byte(text)); ok {
			want, err := time.ParseInLocation("2006/01/02 15:04:05", text, loc)
			if err != nil || ms != want.UnixMilli() {
				t.Fatalf("errorTime(%q) = %d; time.Parse: %v, %v", text, ms, want, err)
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	for _, bm := range []struct {
		name string
		p    *Parser
		line string
	}{
		{"nginx-combined", NewNginx(nil), `198.51.100.7 - alice [31/Dec/2025:23:59:59 +0000] ` +
			`"POST /api/v1/orders?id=42 HTTP/2.0" 201 89 "https://shop.example.com/cart" ` +
			`"curl/8.5.0"`},
		{"nginx-escaped-agent", NewNginx(nil), `198.51.100.7 - alice ` +
			`[01/Jan/2026:00:00:04 +0000] "GET /account HTTP/2.0" 200 2048 "-" ` +
			`"Mozilla/5.0 \"quoted\" agent with \\backslash"`},
		{"nginx-error", NewNginx(nil), `2026/01/01 00:00:03 [error] 1201#1201: *17 open() ` +
			`"/usr/share/nginx/html/favicon.ico" failed (2: No such file or directory), ` +
			`client: 203.0.113.10`},
		{"apache-common", NewApache(),
			`192.0.2.1 - bob [01/Feb/2026:10:00:00 +0100] "GET /a HTTP/1.1" 200 2326`},
	} {
		b.Run(bm.name, func(b *testing.B) {
			line := []byte(bm.line)
			var r record.Record
			b.ReportAllocs()
			b.SetBytes(int64(len(line)))
			for b.Loop() {
				if bm.p.Parse(line, &r) != record.Parsed {
					b.Fatal("not parsed")
				}
			}
		})
	}
}
