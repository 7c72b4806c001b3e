package jsonl

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/corral-logs/corral/parsers/record"
)

// FuzzParse checks the parser against encoding/json: a line is Parsed
// exactly when it is a valid JSON object, and then its fields are the
// members encoding/json reads, in order.
func FuzzParse(f *testing.F) {
	for _, tt := range parseTests {
		f.Add([]byte(tt.line))
	}
	f.Add([]byte(benchLine))
	f.Fuzz(func(t *testing.T, line []byte) {
		var r record.Record
		got := New().Parse(line, &r)
		trimmed := bytes.Trim(line, " \t\r\n")
		object := json.Valid(line) && trimmed[0] == '{'
		// A line shorter than 2*MaxDepth cannot nest past the limit.
		if len(line) < 2*MaxDepth && object != (got == record.Parsed) {
			t.Fatalf("Parse(%q) = %v; json.Valid says object %v", line, got, object)
		}
		if got == record.Failed {
			return
		}
		if got != record.Parsed || !object {
			t.Fatalf("Parse(%q) = %v; json.Valid says object %v", line, got, object)
		}
		for i := range r.Len() {
			_, v, kind := r.Field(i)
			if kind == record.JSON && !json.Valid(v) {
				t.Errorf("Parse(%q): field %d holds invalid JSON %q", line, i, v)
			}
			if b, err := json.Marshal(string(v)); err != nil || !json.Valid(b) {
				t.Errorf("Parse(%q): field %d %q does not re-escape: %v", line, i, v, err)
			}
		}
		// encoding/json replaces invalid UTF-8; the parser keeps it.
		if utf8.Valid(line) {
			if diff := cmp.Diff(members(t, line), fields(&r)); diff != "" {
				t.Errorf("Parse(%q) fields (-encoding/json +got):\n%s", line, diff)
			}
		}
	})
}

// members reads the top-level members of the object on line with
// encoding/json.
func members(t *testing.T, line []byte) []field {
	dec := json.NewDecoder(bytes.NewReader(line))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var out []field
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		if raw[0] != '"' {
			out = append(out, field{key.(string), string(raw), J})
			continue
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		out = append(out, field{key.(string), s, S})
	}
	return out
}
