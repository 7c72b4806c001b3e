package logfmt

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corral-logs/corral/parsers/record"
)

// FuzzParse checks that a Parsed line has at least one pair and
// well-formed keys, and that writing its fields back as logfmt and parsing
// that again gives the same fields.
func FuzzParse(f *testing.F) {
	for _, tt := range parseTests {
		f.Add([]byte(tt.line))
	}
	f.Add([]byte(benchLine))
	f.Fuzz(func(t *testing.T, line []byte) {
		p := New()
		var r record.Record
		got := p.Parse(line, &r)
		if got == record.Failed {
			return
		}
		if got != record.Parsed {
			t.Fatalf("Parse(%q) = %v", line, got)
		}
		if !bytes.Contains(line, []byte("=")) || r.Len() == 0 {
			t.Fatalf("Parse(%q) parsed a line without a pair: %q", line, r.Pairs())
		}
		fields := r.Pairs()
		for i, kv := range fields {
			if kv[0] == "" || strings.ContainsAny(kv[0], " \t=\"") {
				t.Errorf("Parse(%q): field %d has malformed key %q", line, i, kv[0])
			}
			if b, err := json.Marshal(kv[1]); err != nil || !json.Valid(b) {
				t.Errorf("Parse(%q): field %d %q does not re-escape: %v", line, i, kv[1], err)
			}
		}

		// Written back with every value quoted, the line reads the same.
		again := encode(fields)
		if res := p.Parse(again, &r); res != record.Parsed {
			t.Fatalf("Parse(%q) = %v for the re-encoding of %q", again, res, line)
		}
		if diff := cmp.Diff(fields, r.Pairs()); diff != "" {
			t.Errorf("re-encoding %q as %q changed fields (-first +second):\n%s", line, again, diff)
		}
	})
}

// encode writes fields as logfmt with every value quoted.
func encode(fields [][2]string) []byte {
	var b []byte
	for _, kv := range fields {
		b = append(b, kv[0]...)
		b = append(b, '=', '"')
		for _, c := range []byte(kv[1]) {
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, `\n`...)
			case '\t':
				b = append(b, `\t`...)
			case '\r':
				b = append(b, `\r`...)
			default:
				b = append(b, c)
			}
		}
		b = append(b, '"', ' ')
	}
	return b
}
