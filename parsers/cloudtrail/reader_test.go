package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/corral-logs/corral/internal/shared"
	"github.com/corral-logs/corral/parsers/record"
)

// expected is one entry of testdata/expected.json.
type expected struct {
	Events         int            `json:"events"`
	EventNames     []string       `json:"event_names"`
	EventTimes     []string       `json:"event_times"`
	RecordBytes    []int          `json:"record_bytes"`
	MaxRecordBytes int            `json:"max_record_bytes"`
	SumRecordBytes int            `json:"sum_record_bytes"`
	MinEventTime   string         `json:"min_event_time"`
	MaxEventTime   string         `json:"max_event_time"`
	ByRegion       map[string]int `json:"records_by_awsRegion"`
	ErrorCodes     []string       `json:"error_codes"`
}

// read decodes a gzip file and reads every record, with copies of their
// messages and fields.
func read(t testing.TB, path string) ([]string, []*record.Record) {
	t.Helper()
	return readAll(t, bytes.NewReader(shared.Gunzip(t, path)))
}

func readAll(t testing.TB, src io.Reader) ([]string, []*record.Record) {
	t.Helper()
	r := NewReader(src)
	var msgs []string
	var recs []*record.Record
	for {
		rec := new(record.Record)
		msg, err := r.Next(rec)
		if err == io.EOF {
			return msgs, recs
		}
		if err != nil {
			t.Fatalf("record %d: %v", len(msgs)+1, err)
		}
		msgs = append(msgs, string(msg))
		recs = append(recs, rec)
	}
}

func field(rec *record.Record, key string) string {
	v, _, _ := rec.Get(key)
	return string(v)
}

func TestSharedFiles(t *testing.T) {
	all := shared.Expected[expected](t)
	n := 0
	for rel, want := range all {
		if !strings.HasPrefix(rel, "cloudtrail/") || !strings.HasSuffix(rel, ".json.gz") {
			continue
		}
		n++
		t.Run(filepath.Base(rel), func(t *testing.T) {
			msgs, recs := read(t, shared.Testdata(t, rel))
			if len(msgs) != want.Events {
				t.Fatalf("records = %d, want %d", len(msgs), want.Events)
			}
			var names, times, codes []string
			var sizes []int
			sum, biggest := 0, 0
			regions := map[string]int{}
			var first, last int64
			for i, rec := range recs {
				if !json.Valid([]byte(msgs[i])) {
					t.Errorf("record %d: message is not valid JSON", i+1)
				}
				names = append(names, field(rec, "eventName"))
				times = append(times, time.UnixMilli(rec.Time).UTC().Format(time.RFC3339))
				if c := field(rec, "errorCode"); c != "" {
					codes = append(codes, c)
				}
				sizes = append(sizes, len(msgs[i]))
				sum += len(msgs[i])
				biggest = max(biggest, len(msgs[i]))
				regions[field(rec, "awsRegion")]++
				if first == 0 || rec.Time < first {
					first = rec.Time
				}
				last = max(last, rec.Time)
			}
			if want.EventNames != nil && !cmp.Equal(names, want.EventNames) {
				t.Errorf("eventName: %s", cmp.Diff(want.EventNames, names))
			}
			if want.EventTimes != nil && !cmp.Equal(times, want.EventTimes) {
				t.Errorf("times: %s", cmp.Diff(want.EventTimes, times))
			}
			if want.RecordBytes != nil && !cmp.Equal(sizes, want.RecordBytes) {
				t.Errorf("record bytes: %s", cmp.Diff(want.RecordBytes, sizes))
			}
			if want.ErrorCodes != nil && !cmp.Equal(codes, want.ErrorCodes) {
				t.Errorf("error codes: %s", cmp.Diff(want.ErrorCodes, codes))
			}
			if want.SumRecordBytes != 0 && sum != want.SumRecordBytes {
				t.Errorf("sum of record bytes = %d, want %d", sum, want.SumRecordBytes)
			}
			if want.MaxRecordBytes != 0 && biggest != want.MaxRecordBytes {
				t.Errorf("largest record = %d, want %d", biggest, want.MaxRecordBytes)
			}
			if want.ByRegion != nil && !cmp.Equal(regions, want.ByRegion) {
				t.Errorf("records by awsRegion: %s", cmp.Diff(want.ByRegion, regions))
			}
			if want.MinEventTime != "" {
				got := [2]string{
					time.UnixMilli(first).UTC().Format(time.RFC3339),
					time.UnixMilli(last).UTC().Format(time.RFC3339),
				}
				if w := [2]string{want.MinEventTime, want.MaxEventTime}; got != w {
					t.Errorf("event time range = %v, want %v", got, w)
				}
			}
		})
	}
	if n != 6 {
		t.Errorf("expected.json lists %d CloudTrail objects, want 6", n)
	}
}

// TestRecordFields checks the fields of the 5-record file's first record
// and of an Insights record, which lacks eventName and userIdentity.
func TestRecordFields(t *testing.T) {
	dir := shared.Testdata(t, "cloudtrail", "AWSLogs", "111111111111")
	_, recs := read(t, filepath.Join(dir, "CloudTrail", "us-east-1", "2025", "12", "31",
		"111111111111_CloudTrail_us-east-1_20251231T2355Z_Q3v9XkP2mLr8TzW1.json.gz"))
	want := [][2]string{
		{"eventVersion", "1.09"},
		{"userIdentity.type", "IAMUser"},
		{"userIdentity.principalId", "AIDAIUIWSNVCA7PN5BIAO"},
		{"userIdentity.arn", "arn:aws:iam::111111111111:user/alice"},
		{"userIdentity.accountId", "111111111111"},
		{"userIdentity.userName", "alice"},
		{"eventTime", "2025-12-31T23:49:24Z"},
		{"eventSource", "signin.amazonaws.com"},
		{"eventName", "ConsoleLogin"},
		{"awsRegion", "us-east-1"},
		{"sourceIPAddress", "192.0.2.201"},
		{"userAgent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"},
		{"eventID", "1480286b-5772-4a69-971b-bd830d86e07d"},
		{"readOnly", "false"},
		{"eventType", "AwsConsoleSignIn"},
		{"managementEvent", "true"},
		{"recipientAccountId", "111111111111"},
		{"eventCategory", "Management"},
	}
	if diff := cmp.Diff(want, recs[0].Pairs()); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if _, kind, _ := recs[0].Get("readOnly"); kind != record.JSON {
		t.Errorf("readOnly kind = %v, want JSON", kind)
	}
	if got, want := recs[0].Time, time.Date(2025, 12, 31, 23, 49, 24, 0, time.UTC).UnixMilli(); got != want {
		t.Errorf("time = %d, want %d", got, want)
	}

	_, recs = read(t, filepath.Join(dir, "CloudTrail-Insight", "us-east-1", "2026", "01", "01",
		"111111111111_CloudTrail-Insight_us-east-1_20260101T0010Z_Pq8Rs7Tu6Vw5Xy4Z.json.gz"))
	for i, rec := range recs {
		if got := field(rec, "eventType"); got != "AwsCloudTrailInsight" {
			t.Errorf("insight %d: eventType = %q", i, got)
		}
		if rec.Time == 0 {
			t.Errorf("insight %d: no time", i)
		}
	}
}

// TestB38Object reads the CloudTrail object of case B38: two records, times
// from eventTime.
func TestB38Object(t *testing.T) {
	msgs, recs := read(t, shared.Case(t, "B38", "object-cloudtrail.json.gz"))
	got := map[string]int64{}
	for _, rec := range recs {
		got[field(rec, "eventName")] = rec.Time
	}
	want := map[string]int64{"PutObject": 1774004223000, "GetObject": 1774004292000}
	if len(msgs) != 2 || !cmp.Equal(got, want) {
		t.Errorf("records %d, times %v; want 2, %v", len(msgs), got, want)
	}
}

func TestReader(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		err      string
	}{
		{"empty input", "", nil, ""},
		{"empty records", `{"Records":[]}`, nil, ""},
		{"null records", `{"Records":null}`, nil, ""},
		{"digest", `{"awsAccountId":"1","logFiles":[{"s3Object":"a]}{\"b"}],"n":1.5e3,"t":true}`, nil, ""},
		{"spaces", " \n{ \"Records\" : [ {\"a\":1} , {\"b\":\"x\"}\n] }\n", []string{`{"a":1}`, `{"b":"x"}`}, ""},
		{"members around", `{"x":[1,{"y":"]"}],"Records":[{"a":"}"}],"z":null}`, []string{`{"a":"}"}`}, ""},
		{"two documents", `{"Records":[{"a":1}]}{"Records":[{"b":2}]}`, []string{`{"a":1}`, `{"b":2}`}, ""},
		{"escaped quotes", `{"Records":[{"a":"\"}\\"}]}`, []string{`{"a":"\"}\\"}`}, ""},
		{"not an object", `[{"a":1}]`, nil, "not a JSON object"},
		{"record not an object", `{"Records":[1]}`, nil, "not a JSON object"},
		{"truncated", `{"Records":[{"a":1},{"b":`, []string{`{"a":1}`}, "unexpected EOF"},
		{"truncated after array", `{"Records":[{"a":1}]`, []string{`{"a":1}`}, "unexpected EOF"},
		{"invalid record", `{"Records":[{"a":tru}]}`, nil, "invalid JSON"},
		{"missing comma", `{"Records":[{"a":1} {"b":2}]}`, []string{`{"a":1}`}, `',' expected`},
		{"trailing garbage", `{"Records":[]} x`, nil, "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(tt.in))
			var got []string
			var err error
			for {
				var rec record.Record
				var msg []byte
				msg, err = r.Next(&rec)
				if err != nil {
					break
				}
				got = append(got, string(msg))
			}
			if !cmp.Equal(got, tt.want) {
				t.Errorf("records: %s", cmp.Diff(tt.want, got))
			}
			switch {
			case tt.err == "" && err != io.EOF:
				t.Errorf("error = %v, want io.EOF", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("error = %v, want one containing %q", err, tt.err)
			}
		})
	}
}

func TestTooLargeRecordIsSkipped(t *testing.T) {
	big := `{"blob":"` + strings.Repeat("a", 5000) + `"}`
	in := `{"Records":[{"a":1},` + big + `,{"b":2}]}`
	r := NewReader(iotestHalf(strings.NewReader(in)))
	r.SetMaxRecordBytes(1000)
	var rec record.Record
	var got []string
	tooLarge := 0
	for {
		msg, err := r.Next(&rec)
		if err == io.EOF {
			break
		}
		if errors.Is(err, ErrTooLarge) {
			tooLarge++
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(msg))
	}
	if want := []string{`{"a":1}`, `{"b":2}`}; !cmp.Equal(got, want) || tooLarge != 1 {
		t.Errorf("records %q, too large %d; want %q, 1", got, tooLarge, want)
	}
}

// iotestHalf returns a reader that returns at most 7 bytes a call, so every
// token crosses a read boundary somewhere.
func iotestHalf(r io.Reader) io.Reader { return &smallReader{r} }

type smallReader struct{ r io.Reader }

func (s *smallReader) Read(p []byte) (int, error) { return s.r.Read(p[:min(len(p), 7)]) }

func TestReadBoundaries(t *testing.T) {
	path := shared.Testdata(t, "cloudtrail", "AWSLogs", "111111111111", "CloudTrail", "us-west-2",
		"2026", "01", "01", "111111111111_CloudTrail_us-west-2_20260101T0005Z_Zx4Yw6Vu8Ts0Rq2P.json.gz")
	want, wantRecs := read(t, path)
	data := shared.Gunzip(t, path)
	got, gotRecs := readAll(t, iotestHalf(bytes.NewReader(data)))
	if !cmp.Equal(got, want) {
		t.Fatal("records differ when read 7 bytes at a time")
	}
	for i := range gotRecs {
		if !gotRecs[i].Equal(wantRecs[i]) {
			t.Errorf("record %d: fields differ", i)
		}
	}
	// Record 1 mixes literal UTF-8 with escapes; its fields are what
	// encoding/json makes of them.
	var m map[string]any
	if err := json.Unmarshal([]byte(want[0]), &m); err != nil {
		t.Fatal(err)
	}
	checkStrings(t, m, wantRecs[0])
}

// checkStrings compares every top-level string member of m with rec.
func checkStrings(t *testing.T, m map[string]any, rec *record.Record) {
	t.Helper()
	for k, v := range m {
		s, ok := v.(string)
		if !ok {
			continue
		}
		got, kind, found := rec.Get(k)
		if !found || kind != record.String || string(got) != s {
			t.Errorf("field %q = %q (kind %v, found %v), want %q", k, got, kind, found, s)
		}
	}
}

// generated streams a CloudTrail file of n records of about 1 KiB without
// holding it in memory.
type generated struct {
	n, i int
	buf  bytes.Buffer
	done bool
}

var generatedRecord = `{"eventVersion":"1.08","eventTime":"2026-03-20T10:00:00Z","eventName":"GetObject",` +
	`"requestParameters":{"key":"` + strings.Repeat("k", 900) + `"}}`

func (g *generated) Read(p []byte) (int, error) {
	for g.buf.Len() < len(p) && !g.done {
		switch {
		case g.i == 0:
			g.buf.WriteString(`{"Records":[`)
		case g.i > g.n:
			g.buf.WriteString(`]}`)
			g.done = true
			continue
		case g.i > 1:
			g.buf.WriteByte(',')
		}
		if g.i >= 1 {
			g.buf.WriteString(generatedRecord)
		}
		g.i++
	}
	if g.buf.Len() == 0 {
		return 0, io.EOF
	}
	return g.buf.Read(p)
}

// TestMemoryBoundedByRecord reads 20,000 records (about 20 MB) and checks
// that the live heap never holds more than the read window and a record,
// and that reading allocates little per record.
func TestMemoryBoundedByRecord(t *testing.T) {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	r := NewReader(&generated{n: 20000})
	var rec record.Record
	n, total := 0, 0
	peak := uint64(0)
	var ms runtime.MemStats
	for {
		msg, err := r.Next(&rec)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		total += len(msg)
		if n%2000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	if n != 20000 {
		t.Fatalf("records = %d, want 20000", n)
	}
	live := int64(peak) - int64(before.HeapAlloc)
	perRecord := (ms.TotalAlloc - before.TotalAlloc) / uint64(n)
	t.Logf("read %d bytes in %d records: live heap grew by at most %d bytes, %d bytes allocated a record",
		total, n, live, perRecord)
	if live > 512<<10 {
		t.Errorf("live heap grew by %d bytes reading %d bytes: not streamed", live, total)
	}
	if perRecord > 256 {
		t.Errorf("%d bytes allocated a record, want at most 256", perRecord)
	}
}

func BenchmarkReader(b *testing.B) {
	path := shared.Testdata(b, "cloudtrail", "AWSLogs", "o-a1b2c3d4e5", "111111111111", "CloudTrail",
		"eu-west-1", "2026", "01", "01",
		"111111111111_CloudTrail_eu-west-1_20260101T0010Z_H7nB2cD4fG6jK8mN.json.gz")
	data := shared.Gunzip(b, path)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var rec record.Record
	for b.Loop() {
		r := NewReader(bytes.NewReader(data))
		for {
			if _, err := r.Next(&rec); err != nil {
				break
			}
		}
	}
}
