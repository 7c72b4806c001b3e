package vpcflow

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"testing"

	"github.com/corral-logs/corral/parsers/record"
)

// FuzzReader reads input with a line limit of 64 bytes, so that lines too
// long are skipped often, or of 512 when long is set, so that a whole
// version-2 record is parsed.
func FuzzReader(f *testing.F) {
	f.Add([]byte("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"+
		"2 111 eni-1 10.0.0.1 10.0.0.2 443 80 6 10 840 1773993600 1773993660 ACCEPT OK\n"+
		"2 111 eni-1 - - - - - - - 1773993600 1773993660 - NODATA\r\n"), true)
	f.Add([]byte("2 111 eni-1 10.0.0.1 10.0.0.2 01 80 6 10 840 99999999999999999999 1 REJECT OK"), true)
	f.Add([]byte("start end\n\n100 x\n1 2 3\nstart\n5\n"), false)
	f.Fuzz(func(t *testing.T, input []byte, long bool) {
		limit := 64
		if long {
			limit = 512
		}
		r := NewReader(bytes.NewReader(input))
		r.SetMaxLineBytes(limit)
		var rec record.Record
		for range len(input) + 1 {
			line, res, err := r.Next(&rec)
			if errors.Is(err, ErrTooLarge) {
				continue
			}
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatalf("error %v", err)
			}
			if len(line) == 0 || len(line) > limit || bytes.ContainsAny(line, "\n") {
				t.Fatalf("line %q", line)
			}
			// The line is in the input, without its ending: "\n", or
			// "\r\n", or the end of the input.
			followed := func(end string) bool { return bytes.Contains(input, append(bytes.Clone(line), end...)) }
			if !followed("\n") && !followed("\r\n") && !bytes.HasSuffix(input, line) &&
				!bytes.HasSuffix(input, append(bytes.Clone(line), '\r')) {
				t.Fatalf("line %q is not a line of the input", line)
			}
			values := splitFields(nil, line)
			names := r.Fields()
			if res == record.Failed {
				if len(values) == len(names) || rec.Len() != 0 {
					t.Fatalf("line %q failed with %d values for %d fields", line, len(values), len(names))
				}
				continue
			}
			// Every value but "-" is a field, in order, under its name.
			j := 0
			for i, v := range values {
				if string(v) == "-" {
					continue
				}
				k, got, kind := rec.Field(j)
				j++
				if string(k) != names[i] || !bytes.Equal(got, v) {
					t.Fatalf("field %d = %s=%s, want %s=%s", j, k, got, names[i], v)
				}
				if kind == record.JSON {
					if _, err := strconv.ParseUint(string(v), 10, 64); err != nil || (v[0] == '0' && len(v) > 1) {
						t.Fatalf("field %s=%s is not a JSON number", k, v)
					}
				}
			}
			if j != rec.Len() {
				t.Fatalf("%d fields for %d values", rec.Len(), j)
			}
			if s, ok := fieldValue(&rec, "start"); ok && rec.Time != 0 {
				if n, _ := strconv.ParseInt(s, 10, 64); n*1000 != rec.Time {
					t.Fatalf("time %d for start %s", rec.Time, s)
				}
			}
		}
		t.Fatal("Next never ended")
	})
}

func fieldValue(rec *record.Record, key string) (string, bool) {
	v, _, ok := rec.Get(key)
	return string(v), ok
}
