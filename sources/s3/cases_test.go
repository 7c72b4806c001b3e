package s3

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"
	"go.uber.org/zap/zapcore"

	"github.com/corral-logs/corral/internal/shared"
	"github.com/corral-logs/corral/pipeline"
)

// TestCaseB38 is case B38: an s3:TestEvent, direct and wrapped in SNS, is
// deleted once and logged once at info; the object after them gives its 2
// records, at their eventTime.
func TestCaseB38(t *testing.T) {
	dir := shared.Case(t, "B38")
	e := newEnv(t, 3)
	bucket := e.bucket("demo-trail")
	rename := func(file string) string {
		return strings.ReplaceAll(string(shared.ReadFile(t, filepath.Join(dir, file))), "demo-trail-bucket-0001", bucket)
	}
	var created struct {
		Records []struct {
			S3 struct{ Object struct{ Key string } }
		}
	}
	if err := json.Unmarshal(shared.ReadFile(t, filepath.Join(dir, "sqs-object-created.json")), &created); err != nil {
		t.Fatal(err)
	}
	key := created.Records[0].S3.Object.Key
	object := shared.ReadFile(t, filepath.Join(dir, "object-cloudtrail.json.gz"))
	e.put(bucket, key, object)
	for _, f := range []string{"sqs-test-event.json", "sqs-sns-wrapped-test-event.json", "sqs-object-created.json"} {
		e.send(rename(f))
	}

	sk := newSink(t)
	h := newHarness(t, sk, pipeline.Options{})
	src := h.start(e, Options{Format: CloudTrail, VisibilityTimeout: 10 * time.Second})
	waitFor(t, 20*time.Second, "3 messages deleted", func() bool { return src.Stats.MessagesDeleted.Load() == 3 })
	h.stop()

	if got := src.Stats.MessagesReceived.Load(); got != 3 {
		t.Errorf("messages received = %d, want 3 (none twice)", got)
	}
	if n := len(h.entries(zapcore.InfoLevel, "s3 test event received; the queue is connected")); n != 2 {
		t.Errorf("%d info lines for test events, want 2", n)
	}
	got := sk.events(bucket + "/" + key)
	if len(got) != 2 || sk.requests != 1 {
		t.Fatalf("%d events in %d requests, want 2 in 1", len(got), sk.requests)
	}
	// The request carries them in time order: PutObject, then GetObject.
	records := recordsOf(t, object)
	wantTimes := []int64{1774004223000, 1774004292000}
	for i, name := range []string{"PutObject", "GetObject"} {
		if got[i].Time != wantTimes[i] {
			t.Errorf("event %d time = %d, want %d", i, got[i].Time, wantTimes[i])
		}
		var gotRec, wantRec map[string]any
		if err := json.Unmarshal([]byte(got[i].Msg), &gotRec); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(records[name], &wantRec); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(wantRec, gotRec); diff != "" {
			t.Errorf("event %d (%s) (-want +got):\n%s", i, name, diff)
		}
	}
}

// recordsOf returns the records of a gzipped CloudTrail file by eventName.
func recordsOf(t *testing.T, gz []byte) map[string]json.RawMessage {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	var file struct{ Records []json.RawMessage }
	if err := json.NewDecoder(zr).Decode(&file); err != nil {
		t.Fatal(err)
	}
	out := map[string]json.RawMessage{}
	for _, r := range file.Records {
		var v struct{ EventName string }
		if err := json.Unmarshal(r, &v); err != nil {
			t.Fatal(err)
		}
		out[v.EventName] = r
	}
	return out
}

// TestCaseB41 is case B41: an empty object and a plain-text object under
// a .gz name are consumed; a corrupt gzip is logged once with its key, its
// message is not deleted, is retried no sooner than the visibility timeout
// and ends in the dead-letter queue.
func TestCaseB41(t *testing.T) {
	dir := shared.Case(t, "B41")
	e := newEnv(t, 2)
	bucket := e.bucket("b41")
	names := []string{"empty", "plain", "valid", "corrupt"}
	for _, n := range names {
		key := "logs/" + n + ".log.gz"
		e.put(bucket, key, shared.ReadFile(t, filepath.Join(dir, n+".log.gz")))
		e.notify(bucket, key)
	}

	sk := newSink(t)
	h := newHarness(t, sk, pipeline.Options{})
	const visibility = 2 * time.Second
	src := h.start(e, Options{Format: Lines, VisibilityTimeout: visibility})
	waitFor(t, 30*time.Second, "3 messages deleted and the corrupt one in the DLQ", func() bool {
		v, _ := e.depth(e.dlq)
		return src.Stats.MessagesDeleted.Load() == 3 && v == 1
	})
	h.stop()

	var got []string
	for _, n := range names {
		for _, ev := range sk.events(bucket + "/logs/" + n + ".log.gz") {
			got = append(got, ev.Msg)
		}
	}
	if want := []string{"plain-1", "plain-2", "gz-1", "gz-2"}; !cmp.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
	corrupt := "logs/corrupt.log.gz"
	tries := h.reads.at(bucket + "/" + corrupt)
	if len(tries) != 2 {
		t.Errorf("corrupt object tried %d times, want 2 (maxReceiveCount)", len(tries))
	} else if gap := tries[1].Sub(tries[0]); gap < visibility-200*time.Millisecond {
		t.Errorf("corrupt object retried after %v, sooner than the visibility timeout %v", gap, visibility)
	}
	errs := h.logs.FilterLevelExact(zapcore.ErrorLevel).All()
	if len(errs) != 1 || errs[0].ContextMap()["key"] != corrupt {
		t.Errorf("error lines %v, want one naming key %s", errs, corrupt)
	}
	if v, n := e.depth(e.queue); v+n != 0 {
		t.Errorf("queue holds %d visible and %d in-flight messages, want none", v, n)
	}
}

// TestCaseB42 is case B42: a default-format flow log with NODATA and
// SKIPDATA records gives 3 events at start × 1000, the "-" fields absent.
func TestCaseB42(t *testing.T) {
	e := newEnv(t, 3)
	bucket := e.bucket("b42")
	key := "AWSLogs/111122223333/vpcflowlogs/eu-west-1/2026/03/20/flow-v2.log.gz"
	e.put(bucket, key, shared.ReadFile(t, shared.Case(t, "B42", "flow-v2.log.gz")))
	e.notify(bucket, key)

	sk := newSink(t)
	h := newHarness(t, sk, pipeline.Options{})
	src := h.start(e, Options{Format: VPCFlow})
	waitFor(t, 20*time.Second, "the message deleted", func() bool { return src.Stats.MessagesDeleted.Load() == 1 })
	h.stop()

	stream := bucket + "/" + key
	evs := sk.events(stream)
	if len(evs) != 3 {
		t.Fatalf("%d events, want 3", len(evs))
	}
	for i, ev := range evs {
		if ev.Time != 1773993600000 {
			t.Errorf("event %d time = %d, want 1773993600000", i, ev.Time)
		}
	}
	recs := h.fields.recs[stream]
	status := func(rec [][2]string) (string, map[string]bool) {
		have := map[string]bool{}
		s := ""
		for _, kv := range rec {
			have[kv[0]] = true
			if kv[0] == "log-status" {
				s = kv[1]
			}
		}
		return s, have
	}
	for i, want := range []string{"OK", "NODATA", "SKIPDATA"} {
		s, have := status(recs[i])
		if s != want {
			t.Errorf("record %d log-status %q, want %q", i, s, want)
		}
		for _, f := range []string{"srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes", "action"} {
			if have[f] != (i == 0) {
				t.Errorf("record %d (%s): field %s present = %v", i, want, f, have[f])
			}
		}
	}
	st := &src.Stats
	if st.ParseFailed.Load() != 0 || st.MessagesReceived.Load() != 1 || st.MessagesDeleted.Load() != 1 {
		t.Errorf("parse failures %d, received %d, deleted %d; want 0, 1, 1",
			st.ParseFailed.Load(), st.MessagesReceived.Load(), st.MessagesDeleted.Load())
	}
}

// TestCaseB40 is case B40, with the agent's default byte budget (32 MiB)
// and a decompressed-size cap of 512 MiB: object A, 50,000 records of about
// 1 KiB in random time order, ships exactly 50,000 events in valid
// requests while the Go heap stays under 128 MiB; object B, a single record
// of 600 MiB, stops at the cap with an error naming the object and the
// cap, ships nothing, and its message ends in the dead-letter queue.
func TestCaseB40(t *testing.T) {
	e := newEnv(t, 1)
	bucket := e.bucket("b40")
	keyA := "AWSLogs/111122223333/CloudTrail/eu-west-1/2026/03/20/111122223333_CloudTrail_eu-west-1_20260320T1100Z_A.json.gz"
	keyB := "AWSLogs/111122223333/CloudTrail/eu-west-1/2026/03/20/111122223333_CloudTrail_eu-west-1_20260320T1100Z_B.json.gz"
	e.put(bucket, keyA, objectA(t))
	e.put(bucket, keyB, objectB(t))

	sk := newSink(t)
	sk.countOnly = true
	sk.delay = 25 * time.Millisecond // slower than reading: the byte budget fills and holds reading back
	h := newHarness(t, sk, pipeline.Options{})
	h.noFields = true
	const capBytes = 512 << 20
	src := h.start(e, Options{Format: CloudTrail, MaxObjectBytes: capBytes})

	// The agent's memory bound for this case: 128 MiB.
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(memoryBound))
	measure := memPeak()
	start := time.Now()
	e.notify(bucket, keyA)
	waitFor(t, 60*time.Second, "object A's message deleted", func() bool { return src.Stats.MessagesDeleted.Load() == 1 })
	mem := measure()
	t.Logf("object A: 50,000 records in %v; %v", time.Since(start).Round(time.Millisecond), mem)
	checkMemory(t, mem)
	if n := sk.counts()[bucket+"/"+keyA]; n != 50000 {
		t.Errorf("object A: %d events, want 50,000", n)
	}

	measure = memPeak()
	start = time.Now()
	e.notify(bucket, keyB)
	waitFor(t, 60*time.Second, "object B's message in the dead-letter queue", func() bool {
		v, _ := e.depth(e.dlq)
		return v == 1
	})
	mem = measure()
	t.Logf("object B: stopped at the cap, in the DLQ after %v; %v", time.Since(start).Round(time.Millisecond), mem)
	h.stop()

	checkMemory(t, mem)
	if n := sk.counts()[bucket+"/"+keyB]; n != 0 {
		t.Errorf("object B: %d events, want none", n)
	}
	errs := h.logs.FilterLevelExact(zapcore.ErrorLevel).All()
	if len(errs) != 1 || errs[0].ContextMap()["key"] != keyB ||
		!strings.Contains(fmt.Sprint(errs[0].ContextMap()["error"]), fmt.Sprint(capBytes)) {
		t.Errorf("error lines %v, want one naming %s and the cap %d", errs, keyB, capBytes)
	}
	if got := src.Stats.MessagesDeleted.Load(); got != 1 {
		t.Errorf("messages deleted = %d, want 1 (object A's only)", got)
	}
}

// memoryBound is B40's memory setting for the agent.
const memoryBound = 128 << 20

// checkMemory fails the test if the heap passed the bound, or if the live
// heap was more than the byte budget (32 MiB) and a fixed overhead could
// explain. RSS is not checked: the race detector multiplies it.
func checkMemory(t *testing.T, m memory) {
	t.Helper()
	if m.inUse > memoryBound {
		t.Errorf("heap in use reached %d bytes, over the bound of %d", m.inUse, memoryBound)
	}
	if limit := uint64(pipeline.DefaultMaxBytes + 32<<20); m.live > limit {
		t.Errorf("live heap reached %d bytes, over the budget and overhead (%d)", m.live, limit)
	}
}

// objectA is B40's object A: 50,000 records like B38's with
// requestParameters.key padded to about 1 KiB, eventTime spread over 59
// minutes in random order (seed 7), gzipped as it is generated.
func objectA(t *testing.T) []byte {
	t.Helper()
	var out bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&out, gzip.BestSpeed)
	rng := rand.New(rand.NewPCG(7, 7))
	base := time.Date(2026, 3, 20, 10, 0, 0, 0, time.UTC)
	head := []byte(`{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","accountId":"111122223333",` +
		`"arn":"arn:aws:sts::111122223333:assumed-role/app-role/session-a"},"eventTime":"`)
	middle := []byte(`","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"eu-west-1",` +
		`"sourceIPAddress":"198.51.100.7","userAgent":"example-agent/1.0",` +
		`"requestParameters":{"bucketName":"demo-data-0001","key":"k/` + strings.Repeat("p", 560) + `"},` +
		`"responseElements":null,"eventID":"00000000-0000-0000-0000-`)
	tail := []byte(`","eventType":"AwsApiCall","recipientAccountId":"111122223333"}`)
	buf := []byte(`{"Records":[`)
	for i := range 50000 {
		if i > 0 {
			buf = append(buf, ',')
		}
		ts := base.Add(time.Duration(rng.Int64N(59*60+1)) * time.Second)
		buf = append(buf, head...)
		buf = ts.AppendFormat(buf, time.RFC3339)
		buf = append(buf, middle...)
		buf = fmt.Appendf(buf, "%012d", i)
		buf = append(buf, tail...)
		if len(buf) > 64<<10 {
			zw.Write(buf)
			buf = buf[:0]
		}
	}
	buf = append(buf, "]}"...)
	zw.Write(buf)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// objectB is B40's object B: `{"Records":[{"eventTime":...,"blob":"`, 600
// MiB of 'a', then `"}]}`, compressed at level 9. It is written as gzip
// members (the format allows several, and readers join them), so that 6 MiB
// of 'a' is compressed once and repeated a hundred times instead of
// compressing 600 MiB.
func objectB(t *testing.T) []byte {
	t.Helper()
	member := func(data []byte) []byte {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		zw.Write(data)
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	const total, parts = 629145600, 100
	chunk := member(bytes.Repeat([]byte("a"), total/parts))
	var out bytes.Buffer
	out.Write(member([]byte(`{"Records":[{"eventTime":"2026-03-20T10:00:00Z","blob":"`)))
	for range parts {
		out.Write(chunk)
	}
	out.Write(member([]byte(`"}]}`)))
	return out.Bytes()
}
