package s3

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corral-logs/corral/internal/shared"
)

// TestNoticeShapes reads every notification body of the shared test data
// and checks the objects it names against expected.json.
func TestNoticeShapes(t *testing.T) {
	type entry struct {
		Kind    string          `json:"kind"`
		Objects json.RawMessage `json:"objects"`
	}
	all := shared.Expected[entry](t)
	files, err := filepath.Glob(filepath.Join(shared.Testdata(t, "s3-notifications"), "*"))
	if err != nil || len(files) != 12 {
		t.Fatalf("notification files: %d, %v; want 12", len(files), err)
	}
	files = append(files, shared.Testdata(t, "cloudtrail", "s3-test-event.json"))
	for _, path := range files {
		rel := filepath.Base(filepath.Dir(path)) + "/" + filepath.Base(path)
		t.Run(filepath.Base(path), func(t *testing.T) {
			want, ok := all[rel]
			if !ok {
				t.Fatalf("%s not in expected.json", rel)
			}
			n, err := parseNotice(shared.ReadFile(t, path))
			if want.Kind == "sqs-body-invalid" {
				if !errors.Is(err, errNotNotification) {
					t.Errorf("error = %v, want errNotNotification", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var wantObjs []Object
			var count int
			if json.Unmarshal(want.Objects, &count) != nil { // a list, not a count
				if err := json.Unmarshal(want.Objects, &wantObjs); err != nil {
					t.Fatal(err)
				}
			}
			got := make([]Object, len(n.objects))
			for i, o := range n.objects {
				got[i] = Object{Bucket: o.Bucket, Key: o.Key, Size: o.Size}
				if o.altKey != "" {
					t.Errorf("object %d: alternative key %q for a key that needs no decoding", i, o.altKey)
				}
			}
			if strings.Contains(rel, "digest") { // named, then skipped by key
				wantObjs = got
			}
			if strings.Contains(rel, "cloudtrail-delivery") { // CloudTrail's notice gives no size
				for i := range wantObjs {
					wantObjs[i].Size = 0
				}
			}
			if diff := cmp.Diff(wantObjs, got, cmp.AllowUnexported(Object{})); len(got)+len(wantObjs) > 0 && diff != "" {
				t.Errorf("objects (-want +got):\n%s", diff)
			}
			if isTest := strings.Contains(rel, "test"); n.test != isTest {
				t.Errorf("test event = %v, want %v", n.test, isTest)
			}
		})
	}
}

func TestNotice(t *testing.T) {
	tests := []struct {
		name, body string
		want       notice
		bad        bool
	}{
		{"removed only", `{"Records":[{"eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"b"},"object":{"key":"k"}}}]}`,
			notice{ignored: 1}, false},
		{"created and removed", `{"Records":[{"eventName":"ObjectCreated:Copy","s3":{"bucket":{"name":"b"},"object":{"key":"a%2Fb+c","size":3}}},` +
			`{"eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"b"},"object":{"key":"k"}}}]}`,
			notice{objects: []Object{{Bucket: "b", Key: "a/b c", Size: 3}}, ignored: 1}, false},
		{"sns raw delivery is the bare event", `{"Service":"Amazon S3","Event":"s3:TestEvent"}`, notice{test: true}, false},
		{"eventbridge key kept, decoded one tried next", `{"source":"aws.s3","detail-type":"Object Created","time":1767225003,` +
			`"detail":{"bucket":{"name":"b"},"object":{"key":"a+b%3D1","size":9}}}`,
			notice{objects: []Object{{Bucket: "b", Key: "a+b%3D1", Size: 9, altKey: "a b=1"}}}, false},
		{"eventbridge deleted", `{"source":"aws.s3","detail-type":"Object Deleted","detail":{"bucket":{"name":"b"},"object":{"key":"k"}}}`,
			notice{ignored: 1}, false},
		{"sns twice is not unwrapped twice", `{"Type":"Notification","Message":"{\"Type\":\"Notification\",\"Message\":\"{}\"}"}`, notice{}, true},
		{"bad key escape", `{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"%zz"}}}]}`, notice{}, true},
		{"no bucket", `{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{},"object":{"key":"k"}}}]}`, notice{}, true},
		{"other JSON", `{"hello":"world"}`, notice{}, true},
		{"not JSON", `hello`, notice{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseNotice([]byte(tt.body))
			if tt.bad {
				if !errors.Is(err, errNotNotification) {
					t.Errorf("error = %v, want errNotNotification", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(notice{}, Object{})); diff != "" {
				t.Errorf("notice (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSkipReason(t *testing.T) {
	tests := []struct {
		format   Format
		insights bool
		key      string
		skip     bool
	}{
		{CloudTrail, false, "AWSLogs/1/CloudTrail/us-east-1/2026/01/01/1_CloudTrail_us-east-1_20260101T0000Z_x.json.gz", false},
		{CloudTrail, false, "AWSLogs/o-a1/1/CloudTrail/eu-west-1/2026/01/01/1_CloudTrail_x.json.gz", false},
		{CloudTrail, false, "AWSLogs/1/CloudTrail-Digest/us-east-1/2026/01/01/1_CloudTrail-Digest_x.json.gz", true},
		{CloudTrail, false, "AWSLogs/1/CloudTrail-Insight/us-east-1/2026/01/01/x.json.gz", true},
		{CloudTrail, true, "AWSLogs/1/CloudTrail-Insight/us-east-1/2026/01/01/x.json.gz", false},
		{CloudTrail, false, "AWSLogs/1/CloudTrail/us-east-1/", true},
		{CloudTrail, false, "AWSLogs/1/CloudTrail/us-east-1/notes.txt", true},
		{VPCFlow, false, "AWSLogs/1/vpcflowlogs/us-east-1/2026/01/01/x.log.gz", false},
		{Lines, false, "anything/at/all", false},
		{Lines, false, "folder/", true},
	}
	for _, tt := range tests {
		s := &Source{opts: Options{Format: tt.format, Insights: tt.insights}}
		if got := s.skipReason(tt.key) != ""; got != tt.skip {
			t.Errorf("%s %s (insights %v): skip = %v, want %v", tt.format, tt.key, tt.insights, got, tt.skip)
		}
	}
}

func TestNewRejects(t *testing.T) {
	ok := Options{QueueURL: "q", NewProcessor: func(Object) Processor { return fixedProc{} }, Pipeline: nopSubmitter{}}
	for name, change := range map[string]func(*Options){
		"queue and poll": func(o *Options) { o.Poll = &Poll{Bucket: "b"} },
		"neither":        func(o *Options) { o.QueueURL = "" },
		"poll no bucket": func(o *Options) { o.QueueURL = ""; o.Poll = &Poll{} },
		"unknown format": func(o *Options) { o.Format = "parquet" },
		"no processor":   func(o *Options) { o.NewProcessor = nil },
	} {
		o := ok
		change(&o)
		if _, err := New(o); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
	if _, err := New(ok); err != nil {
		t.Errorf("valid options: %v", err)
	}
}
