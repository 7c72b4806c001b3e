package pattern

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corral-logs/corral/parsers/record"
)

// FuzzParse checks, for any expression New accepts and any line, that the
// line is Parsed exactly when the expression matches, and that the fields
// are the named groups regexp reports, in order.
func FuzzParse(f *testing.F) {
	for _, tt := range parseTests {
		f.Add(tt.expr, []byte(tt.line))
	}
	f.Add(nginx, []byte(benchLine))
	f.Fuzz(func(t *testing.T, expr string, line []byte) {
		p, err := New(expr)
		if err != nil {
			return
		}
		var r record.Record
		got := p.Parse(line, &r)
		re := regexp.MustCompile(expr)
		if (got == record.Parsed) != re.Match(line) || (got != record.Parsed && got != record.Failed) {
			t.Fatalf("%q: Parse(%q) = %v; regexp matches %v", expr, line, got, re.Match(line))
		}
		if got != record.Parsed {
			return
		}
		want := [][2]string{} // Pairs is never nil
		idx := re.FindSubmatchIndex(line)
		for i, name := range re.SubexpNames() {
			if name != "" && idx[2*i] >= 0 {
				want = append(want, [2]string{name, string(line[idx[2*i]:idx[2*i+1]])})
			}
		}
		if diff := cmp.Diff(want, r.Pairs()); diff != "" {
			t.Errorf("%q: Parse(%q) fields (-regexp +got):\n%s", expr, line, diff)
		}
		for i := range r.Len() {
			_, v, kind := r.Field(i)
			b, err := json.Marshal(string(v))
			if kind != record.String || err != nil || !json.Valid(b) {
				t.Errorf("%q: Parse(%q): field %d kind %v does not re-escape: %v", expr, line, i, kind, err)
			}
		}
	})
}
