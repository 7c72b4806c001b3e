package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/corral-logs/corral/parsers/record"
)

func FuzzReader(f *testing.F) {
	f.Add([]byte(`{"Records":[{"eventTime":"2026-01-01T00:00:00Z","eventName":"A","n":1},{"b":"\u00e9\ud83d\udd25"}]}`))
	f.Add([]byte(`{"awsAccountId":"1","logFiles":[{"s3Object":"a]}{\"b"}],"Records":null}`))
	f.Add([]byte(` {"x":[1,{"y":"]"}],"Records":[{"userIdentity":{"type":"T","n":null,"a":[1]},"z":true}]} `))
	f.Add([]byte(`{"Records":[{"a":"\ud800x\udc00\"\\\/\b\f\n\r\t","a":2}]}{"Records":[]}`))
	f.Add([]byte("{\"Records\":[{\"k\":\"\xff\xfe caf\xc3\xa9\"}]}"))
	f.Fuzz(func(t *testing.T, input []byte) {
		r := NewReader(iotestHalf(bytes.NewReader(input)))
		r.SetMaxRecordBytes(200)
		var rec record.Record
		var got []string
		var err error
		for range len(input) + 1 {
			var msg []byte
			msg, err = r.Next(&rec)
			if errors.Is(err, ErrTooLarge) {
				got = append(got, "too large")
				continue
			}
			if err != nil {
				break
			}
			if len(msg) > 200 {
				t.Fatalf("record of %d bytes over the limit", len(msg))
			}
			got = append(got, string(msg))
			checkRecord(t, msg, &rec)
		}
		if err == nil {
			t.Fatal("Next never ended")
		}

		// Where encoding/json reads the input as one object with one
		// Records array, the reader returns exactly its elements.
		if bytes.IndexByte(input, '\\') >= 0 || bytes.Count(input, []byte(`"Records"`)) != 1 {
			return
		}
		var top map[string]json.RawMessage
		if json.Unmarshal(input, &top) != nil {
			return
		}
		var elems []json.RawMessage
		if json.Unmarshal(top["Records"], &elems) != nil {
			return
		}
		var want []string
		objects := true
		for _, e := range elems {
			switch {
			case len(e) == 0 || e[0] != '{':
				objects = false
			case len(e) > 200:
				want = append(want, "too large")
			default:
				want = append(want, string(e))
			}
		}
		if !objects {
			if err == io.EOF {
				t.Fatalf("non-object record read without error: %q", got)
			}
			return
		}
		if err != io.EOF {
			t.Fatalf("error %v on input encoding/json reads", err)
		}
		if len(got) != len(want) {
			t.Fatalf("records %q, want %q", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("record %d = %q, want %q", i, got[i], want[i])
			}
		}
	})
}

// checkRecord compares the fields of rec with what encoding/json makes of
// msg.
func checkRecord(t *testing.T, msg []byte, rec *record.Record) {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(msg))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("record %q is not JSON: %v", msg, err)
	}
	for k, v := range m {
		got, kind, found := rec.Get(k)
		switch v := v.(type) {
		case string:
			if !found || kind != record.String || string(got) != v {
				t.Fatalf("field %q = %q (kind %v, found %v), want %q", k, got, kind, found, v)
			}
		case json.Number:
			if !found || kind != record.JSON || string(got) != string(v) {
				t.Fatalf("field %q = %q (kind %v, found %v), want %v", k, got, kind, found, v)
			}
		case bool:
			if !found || kind != record.JSON || string(got) != map[bool]string{true: "true", false: "false"}[v] {
				t.Fatalf("field %q = %q (kind %v, found %v), want %v", k, got, kind, found, v)
			}
		}
	}
	for i := range rec.Len() {
		k, _, _ := rec.Field(i)
		if _, ok := m[string(k)]; !ok && !bytes.HasPrefix(k, []byte("userIdentity.")) {
			t.Fatalf("field %q not in the record", k)
		}
	}
}
