package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/corral-logs/corral/internal/cwltest"
)

// printedEvent is one event a dry run printed.
type printedEvent struct {
	Group     string `json:"log_group"`
	Stream    string `json:"log_stream"`
	Timestamp string `json:"timestamp"`
	Message   string `json:"message"`
}

// dryRun runs `corral run --dry-run` until it printed want events, stops
// it, and returns the events and its final counts.
func dryRun(t *testing.T, cfg string, want int) ([]printedEvent, stopped) {
	t.Helper()
	p := startCorral(t, nil, "run", "--dry-run", "--config", cfg)
	var evs []printedEvent
	parse := func() bool {
		evs = evs[:0]
		for _, line := range strings.Split(strings.TrimSpace(p.printed()), "\n") {
			var e printedEvent
			if line != "" && json.Unmarshal([]byte(line), &e) == nil {
				evs = append(evs, e)
			}
		}
		return len(evs) >= want
	}
	waitUntil(t, 20*time.Second, parse, func() string { return fmt.Sprintf("%d of %d events printed", len(evs), want) })
	if code := p.stop(10 * time.Second); code != 0 {
		t.Fatalf("corral exited %d", code)
	}
	parse()
	if len(evs) != want {
		t.Errorf("printed %d events, want %d", len(evs), want)
	}
	return evs, stoppedCounts(t, p.output())
}

// dryConfig is a config for a dry run of one file source: no AWS
// endpoint and no credentials exist.
func dryConfig(t *testing.T, glob, source string) string {
	t.Helper()
	return writeConfig(t, fmt.Sprintf(`state_dir: %s
cloudwatch:
  flush_interval: 100ms
sources:
  - paths: [%q]
    log_group: /dry
    log_stream: "{file_name}"
%s`, t.TempDir(), glob, source))
}

// TestB46ParseFailuresAreShippedAndCounted is case B46: lines that are
// not JSON are shipped as they were, marked, and counted; the records
// take their time from the ts field.
func TestB46ParseFailuresAreShippedAndCounted(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join(sharedCase(t, "B46"), "mixed.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "app.jsonl"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC().Truncate(time.Millisecond).Format("2006-01-02T15:04:05.000Z07:00")
	cfg := dryConfig(t, filepath.Join(dir, "*.jsonl"), `    parser: json
    format: json
    timestamp: {field: ts, format: rfc3339}
    partial_line_timeout: 500ms
`)
	evs, counts := dryRun(t, cfg, 6)

	type want struct {
		ts     string // "" for a failed line: the read time
		fields map[string]any
		failed bool
		line   string
	}
	wants := []want{
		{"2026-03-20T10:00:00.000Z", map[string]any{"ts": "2026-03-20T10:00:00Z", "level": "INFO", "msg": "ok-1"}, false,
			`{"ts":"2026-03-20T10:00:00Z","level":"INFO","msg":"ok-1"}`},
		{"", nil, true, `Starting banner v1.2 (not json)`},
		{"", nil, true, `{"ts":"2026-03-20T10:00:01Z","level":"WARN","msg":"broken`},
		{"", nil, true, `value"}`},
		{"2026-03-20T10:00:02.000Z", map[string]any{"ts": "2026-03-20T10:00:02Z", "level": "INFO", "msg": "ok-2"}, false,
			`{"ts":"2026-03-20T10:00:02Z","level":"INFO","msg":"ok-2"}`},
		{"", nil, true, `{"ts":"2026-03-20T10:00:03Z","level":`},
	}
	for i, w := range wants {
		e := evs[i]
		var env struct {
			Message     string         `json:"message"`
			Fields      map[string]any `json:"fields"`
			ParseFailed bool           `json:"parse_failed"`
			Hostname    string         `json:"hostname"`
		}
		if err := json.Unmarshal([]byte(e.Message), &env); err != nil {
			t.Errorf("event %d is not a JSON envelope: %v: %s", i+1, err, e.Message)
			continue
		}
		if env.Message != w.line || env.ParseFailed != w.failed || !cmp.Equal(env.Fields, w.fields) {
			t.Errorf("event %d = %+v, want message %q, fields %v, parse_failed %v", i+1, env, w.line, w.fields, w.failed)
		}
		if env.Hostname == "" {
			t.Errorf("event %d has no hostname: %s", i+1, e.Message)
		}
		if w.ts != "" && e.Timestamp != w.ts || w.ts == "" && e.Timestamp < start {
			t.Errorf("event %d timestamp %s, want %s (the read time for a failed line)", i+1, e.Timestamp, w.ts)
		}
	}
	if counts.Unparsed != 4 {
		t.Errorf("parse failures counted: %d, want 4", counts.Unparsed)
	}
}

// TestDryRunRedactsAndSendsNothing runs a dry run with an endpoint
// configured: the events are printed with their secrets redacted, and
// not one request reaches the endpoint.
func TestDryRunRedactsAndSendsNothing(t *testing.T) {
	fake := cwltest.New(t, cwltest.Options{})
	dir := t.TempDir()
	lines := "user=alice key=AKIAIOSFODNN7EXAMPLE\n" +
		"GET https://bob:NotARealPassw0rd@db.example.com/x\n" +
		"nothing to hide\n"
	if err := os.WriteFile(filepath.Join(dir, "a.log"), []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, fmt.Sprintf(`state_dir: %s
aws: {region: us-east-1, endpoint_url: %s}
cloudwatch: {flush_interval: 100ms}
sources:
  - paths: [%q]
    log_group: /dry
`, t.TempDir(), fake.URL(), filepath.Join(dir, "*.log")))
	evs, _ := dryRun(t, cfg, 3)
	var got []string
	for _, e := range evs {
		got = append(got, e.Message)
		if e.Group != "/dry" || e.Stream != "a.log" {
			t.Errorf("event routed to %s %s, want /dry a.log", e.Group, e.Stream)
		}
	}
	want := []string{
		"user=alice key=[REDACTED:aws_access_key_id]",
		"GET https://bob:[REDACTED:url_password]@db.example.com/x",
		"nothing to hide",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("printed messages (-want +got):\n%s", diff)
	}
	if n := len(fake.Calls()); n != 0 {
		t.Errorf("the dry run made %d calls to the endpoint, want 0", n)
	}
}

// TestRoutesByParsedFields ships logfmt lines to one stream per level;
// a line without a level goes to the fallback stream, and the count says
// so.
func TestRoutesByParsedFields(t *testing.T) {
	fake := cwltest.New(t, cwltest.Options{})
	dir := t.TempDir()
	lines := "level=info msg=a\nlevel=error msg=b\nmsg=c\nlevel=info msg=d\n"
	if err := os.WriteFile(filepath.Join(dir, "app.log"), []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := fakeConfig(t, fake, t.TempDir(), filepath.Join(dir, "*.log"), `    parser: logfmt
    log_group: /app/{field.level}/x
    log_stream: "{file_name}-{field.level}"
    fallback_group: /app/other
    fallback_stream: "{file_name}-unleveled"
`)
	p := startCorral(t, fakeEnv, "run", "--config", cfg)
	waitUntil(t, 20*time.Second, func() bool { n, _ := fake.Total(); return n >= 4 },
		func() string { return fmt.Sprint(fake.Streams()) })
	if code := p.stop(10 * time.Second); code != 0 {
		t.Fatalf("corral exited %d", code)
	}
	got := map[string][]string{}
	for group, streams := range fake.Streams() {
		for _, s := range streams {
			for _, e := range fake.Events(group, s) {
				got[group+" "+s] = append(got[group+" "+s], e.Message)
			}
		}
	}
	want := map[string][]string{
		"/app/info/x app.log-info":     {"level=info msg=a", "level=info msg=d"},
		"/app/error/x app.log-error":   {"level=error msg=b"},
		"/app/other app.log-unleveled": {"msg=c"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("streams (-want +got):\n%s", diff)
	}
	if c := stoppedCounts(t, p.output()); c.Fallback != 1 {
		t.Errorf("fallback count %d, want 1", c.Fallback)
	}
	if v := fake.Violations(); len(v) > 0 {
		t.Errorf("refused requests: %v", v)
	}
}

// TestFiltersAreCounted drops lines by include_lines and exclude_lines,
// and counts them.
func TestFiltersAreCounted(t *testing.T) {
	dir := t.TempDir()
	lines := "GET /health 200\nGET /api 200\nPOST /api 500\nnoise\n"
	if err := os.WriteFile(filepath.Join(dir, "a.log"), []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := dryConfig(t, filepath.Join(dir, "*.log"), `    include_lines: ['^(GET|POST) ']
    exclude_lines: ['/health']
`)
	evs, counts := dryRun(t, cfg, 2)
	var got []string
	for _, e := range evs {
		got = append(got, e.Message)
	}
	if want := []string{"GET /api 200", "POST /api 500"}; !slices.Equal(got, want) {
		t.Errorf("printed %q, want %q", got, want)
	}
	if counts.Filtered != 2 {
		t.Errorf("filtered count %d, want 2", counts.Filtered)
	}
}

// TestDryRunRefusesAQueue refuses to dry-run an s3 source on SQS, which
// would consume the queue, and leaves no temporary directory behind.
func TestDryRunRefusesAQueue(t *testing.T) {
	tmp := t.TempDir()
	cfg := writeConfig(t, fmt.Sprintf(`state_dir: %s
aws: {region: us-east-1, endpoint_url: "http://127.0.0.1:1"}
sources:
  - type: s3
    parser: cloudtrail
    sqs: {queue_url: "http://127.0.0.1:1/222222222222/q"}
`, t.TempDir()))
	p := startCorral(t, append(fakeEnv, "TMPDIR="+tmp), "run", "--dry-run", "--config", cfg)
	if code := p.wait(20 * time.Second); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(p.output(), "a dry run cannot read an SQS queue without consuming it") {
		t.Errorf("no reason given:\n%s", p.output())
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("the refused dry run left %d entries in TMPDIR (%s), want none", len(left), left[0].Name())
	}
}
