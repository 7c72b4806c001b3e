package s3

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap/zapcore"

	"github.com/corral-logs/corral/internal/shared"
	"github.com/corral-logs/corral/pipeline"
)

// Buckets named in the shared notification bodies; tests rename them.
const (
	trailBucket = "corral-test-trail-111111111111"
	flowBucket  = "corral-test-flowlogs-111111111111"
)

// expectedCounts returns the events expected.json gives each object of a
// folder (cloudtrail or vpcflow), by key.
func expectedCounts(t *testing.T, folder string) map[string]int {
	t.Helper()
	type entry struct {
		Events int `json:"events"`
	}
	all := shared.Expected[entry](t)
	out := map[string]int{}
	for rel, v := range all {
		if key, ok := strings.CutPrefix(rel, folder+"/"); ok && strings.HasPrefix(key, "AWSLogs/") {
			out[key] = v.Events
		}
	}
	return out
}

// upload puts every file under testdata/<folder>/AWSLogs into bucket under
// its path below the folder, and returns the keys.
func (e *env) upload(folder, bucket string) []string {
	e.t.Helper()
	root := shared.Testdata(e.t, folder)
	var keys []string
	err := filepath.WalkDir(filepath.Join(root, "AWSLogs"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		key, _ := filepath.Rel(root, path)
		e.put(bucket, filepath.ToSlash(key), shared.ReadFile(e.t, path))
		keys = append(keys, filepath.ToSlash(key))
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return keys
}

// body returns a shared notification body with its buckets renamed.
func (e *env) body(name string, buckets map[string]string) string {
	e.t.Helper()
	b := string(shared.ReadFile(e.t, shared.Testdata(e.t, "s3-notifications", name)))
	for from, to := range buckets {
		b = strings.ReplaceAll(b, from, to)
	}
	return b
}

// TestCloudTrailFromQueue replays the shared notification bodies for the
// CloudTrail objects (direct, SNS-wrapped, EventBridge, CloudTrail's own
// notice, a digest, test events, a removal and a body that is not JSON)
// and checks the exact events of every object, the empty queue and the bad
// message in the dead-letter queue.
func TestCloudTrailFromQueue(t *testing.T) {
	e := newEnv(t, 1)
	bucket := e.bucket("trail")
	names := map[string]string{trailBucket: bucket}
	e.upload("cloudtrail", bucket)
	for _, name := range []string{
		"sqs-s3-objectcreated-cloudtrail.json", // 5 records
		"eventbridge-s3-objectcreated.json",    // 2,000 records
		"sns-cloudtrail-delivery.json",         // 3 records, one of 197,026 bytes
		"sqs-s3-objectcreated-digest.json",     // skipped by key
		"sqs-s3-testevent.json",
		"sns-s3-testevent.json",
		"sqs-s3-objectremoved.json",
		"sqs-not-json.txt",
	} {
		e.send(e.body(name, names))
	}
	want := map[string]int{}
	for key, n := range expectedCounts(t, "cloudtrail") {
		if strings.Contains(key, "CloudTrail/") { // not the digest, not Insights
			want[bucket+"/"+key] = n
		}
	}
	// The empty trail file and the Insights file have no shared body.
	empty := "AWSLogs/111111111111/CloudTrail/ap-southeast-2/2025/12/31/" +
		"111111111111_CloudTrail_ap-southeast-2_20251231T2350Z_Em9tY0R3c0Rk5xYz.json.gz"
	e.notify(bucket, empty)
	e.notify(bucket, "AWSLogs/111111111111/CloudTrail-Insight/us-east-1/2026/01/01/"+
		"111111111111_CloudTrail-Insight_us-east-1_20260101T0010Z_Pq8Rs7Tu6Vw5Xy4Z.json.gz")

	sk := newSink(t)
	h := newHarness(t, sk, pipeline.Options{})
	src := h.start(e, Options{Format: CloudTrail})
	waitFor(t, 30*time.Second, "9 messages deleted and the bad one in the DLQ", func() bool {
		v, _ := e.depth(e.dlq)
		return src.Stats.MessagesDeleted.Load() == 9 && v == 1
	})
	h.stop()

	got := sk.counts()
	delete(want, bucket+"/"+empty) // no events, so no stream
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events per object (-want +got):\n%s", diff)
	}
	if v, n := e.depth(e.queue); v+n != 0 {
		t.Errorf("queue holds %d visible and %d in-flight messages, want none", v, n)
	}
	if n := h.reads.count(bucket + "/" + empty); n != 1 {
		t.Errorf("empty object read %d times, want 1", n)
	}
	st := &src.Stats
	for name, c := range map[string]struct{ got, want int64 }{
		"objects read":     {st.ObjectsRead.Load(), 4},
		"objects skipped":  {st.ObjectsSkipped.Load(), 2}, // the digest and Insights
		"objects failed":   {st.ObjectsFailed.Load(), 0},
		"messages bad":     {st.MessagesBad.Load(), 1},
		"messages ignored": {st.MessagesIgnored.Load(), 3},
		"records":          {st.Records.Load(), 2008},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", name, c.got, c.want)
		}
	}

	// The 197,026-byte record is one event, and every event is its
	// record's JSON.
	sizes := map[int]bool{}
	for stream := range got {
		for _, ev := range sk.events(stream) {
			sizes[len(ev.Msg)] = true
			if !json.Valid([]byte(ev.Msg)) {
				t.Fatalf("%s: event is not JSON: %.80s", stream, ev.Msg)
			}
		}
	}
	if !sizes[197026] {
		t.Error("no event of 197,026 bytes: the large record was split or lost")
	}
	if n := len(h.entries(zapcore.InfoLevel, "s3 test event received; the queue is connected")); n != 2 {
		t.Errorf("%d info lines for test events, want 2", n)
	}
}

// TestVPCFlowFromQueue replays the flow log notifications: two records in
// one message, an SNS-wrapped one, a Hive key with %3D, and a key with
// '+', spaces and UTF-8.
func TestVPCFlowFromQueue(t *testing.T) {
	e := newEnv(t, 1)
	bucket := e.bucket("flow")
	names := map[string]string{flowBucket: bucket}
	e.upload("vpcflow", bucket)
	special := "custom/app logs/2026/01/01/web+api (eu)/café ünïcode #1.log.gz"
	e.put(bucket, special, shared.ReadFile(t, shared.Case(t, "B42", "flow-v2.log.gz")))
	for _, name := range []string{
		"sqs-s3-objectcreated-two-records.json",
		"sqs-s3-objectcreated-hive-key.json",
		"sns-s3-objectcreated.json",
		"sqs-s3-objectcreated-special-key.json",
	} {
		e.send(e.body(name, names))
	}
	want := map[string]int{bucket + "/" + special: 3}
	for key, n := range expectedCounts(t, "vpcflow") {
		want[bucket+"/"+key] = n
	}

	sk := newSink(t)
	h := newHarness(t, sk, pipeline.Options{})
	src := h.start(e, Options{Format: VPCFlow})
	waitFor(t, 30*time.Second, "4 messages deleted", func() bool { return src.Stats.MessagesDeleted.Load() == 4 })
	h.stop()

	if diff := cmp.Diff(want, sk.counts()); diff != "" {
		t.Errorf("events per object (-want +got):\n%s", diff)
	}
	if v, n := e.depth(e.queue); v+n != 0 {
		t.Errorf("queue holds %d visible and %d in-flight messages, want none", v, n)
	}
	if n := src.Stats.ParseFailed.Load(); n != 0 {
		t.Errorf("%d lines failed to parse", n)
	}
}
