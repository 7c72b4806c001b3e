package jsonl

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corral-logs/corral/internal/shared"
	"github.com/corral-logs/corral/parsers/record"
)

// parseFile parses each line of the file at path with a fresh parser and
// returns the results and, for Parsed lines, the fields.
func parseFile(t *testing.T, path string) ([]record.Result, [][]field) {
	t.Helper()
	data := shared.ReadFile(t, path)
	p := New()
	var r record.Record
	var results []record.Result
	var got [][]field
	for line := range bytes.Lines(data) {
		res := p.Parse(bytes.TrimSuffix(line, []byte("\n")), &r)
		results = append(results, res)
		var f []field
		if res == record.Parsed {
			f = fields(&r)
		}
		got = append(got, f)
	}
	return results, got
}

// TestAppJSONLog parses hostlogs/app-json.log: 10 lines, of which 9 (cut
// off) and 10 (plain text) fail, as testdata/expected.json states.
func TestAppJSONLog(t *testing.T) {
	results, got := parseFile(t, shared.Testdata(t, "hostlogs", "app-json.log"))
	P, F := record.Parsed, record.Failed
	if diff := cmp.Diff([]record.Result{P, P, P, P, P, P, P, P, F, F}, results); diff != "" {
		t.Fatalf("results (-want +got):\n%s", diff)
	}

	want := map[int][]field{
		1: {{"ts", "2026-01-01T00:00:00.001Z", S}, {"level", "info", S}, {"msg", "server started", S},
			{"service", `{"name":"orders","version":"1.4.2"}`, J}, {"http", `{"addr":"0.0.0.0:8080"}`, J}},
		// Escaped newline and tab in msg: one event, unescaped.
		4: {{"ts", "2026-01-01T00:00:03.000Z", S}, {"level", "error", S},
			{"msg", "first line\nsecond line\ttabbed", S},
			{"error", `{"type":"TimeoutError","stack":["orders/db.go:88","orders/handler.go:31"]}`, J}},
		5: {{"ts", "2026-01-01T00:00:04.000Z", S}, {"level", "info", S},
			{"msg", "unicode: naïve café 東京 🚀 é\u0301", S},
			{"tags", `{"emoji":"✅","rtl":"שלום"}`, J}},
		// A 20-digit integer kept exact, and a duplicate key kept twice.
		6: {{"ts", "2026-01-01T00:00:05.000Z", S}, {"level", "debug", S}, {"msg", "types", S},
			{"n", "1e3", J}, {"big", "12345678901234567890", J}, {"neg", "-0.5", J},
			{"t", "true", J}, {"f", "false", J}, {"nil", "null", J},
			{"empty_obj", "{}", J}, {"empty_arr", "[]", J}, {"dup", "1", J}, {"dup", "2", J}},
		// 10 levels of nesting.
		7: {{"ts", "2026-01-01T00:00:06.000Z", S}, {"level", "info", S}, {"msg", "deep", S},
			{"a", `{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":{"j":"deep value"}}}}}}}}}`, J}},
	}
	for n, w := range want {
		if diff := cmp.Diff(w, got[n-1]); diff != "" {
			t.Errorf("line %d fields (-want +got):\n%s", n, diff)
		}
	}
}

// TestB46MixedLines is case B46 of the shared failure cases: of six lines,
// 1 and 5 parse; the banner, the two halves of a string broken by a
// newline and a truncated object fail, 4 failures in all.
func TestB46MixedLines(t *testing.T) {
	results, got := parseFile(t, shared.Case(t, "B46", "mixed.jsonl"))
	P, F := record.Parsed, record.Failed
	if diff := cmp.Diff([]record.Result{P, F, F, F, P, F}, results); diff != "" {
		t.Fatalf("results (-want +got):\n%s", diff)
	}
	want := []field{{"ts", "2026-03-20T10:00:02Z", S}, {"level", "INFO", S}, {"msg", "ok-2", S}}
	if diff := cmp.Diff(want, got[4]); diff != "" {
		t.Errorf("line 5 fields (-want +got):\n%s", diff)
	}
}
