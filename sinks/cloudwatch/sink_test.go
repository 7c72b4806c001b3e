package cloudwatch

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap/zaptest"

	"github.com/corral-logs/corral/internal/cwltest"
	"github.com/corral-logs/corral/internal/retry"
	"github.com/corral-logs/corral/pipeline"
)

var dest = pipeline.Dest{Group: "/corral/test", Stream: "app.log"}

// newSink returns a sink pointed at fake, with fast retries.
func newSink(t *testing.T, fake *cwltest.Server, now func() time.Time) *Sink {
	t.Helper()
	s, err := New(context.Background(), Options{
		AWS: aws.Config{
			Region:      "us-east-1",
			Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		},
		Endpoint: fake.URL(),
		Retry:    retry.Policy{Base: time.Millisecond, Max: 20 * time.Millisecond},
		Log:      zaptest.NewLogger(t),
		Now:      now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newSinkWith is newSink with group settings, and SDK calls (creating
// groups and streams) tried once, so that injected faults reach the sink.
func newSinkWith(t *testing.T, fake *cwltest.Server, g GroupSettings) *Sink {
	t.Helper()
	s, err := New(context.Background(), Options{
		AWS: aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
			RetryMaxAttempts: 1},
		Endpoint: fake.URL(),
		Group:    g,
		Retry:    retry.Policy{Base: time.Millisecond, Max: 5 * time.Millisecond},
		Log:      zaptest.NewLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// request builds a request of msgs, all at ts.
func request(ts int64, msgs ...string) *pipeline.Request {
	b := pipeline.NewBlock(dest, "test")
	for _, m := range msgs {
		b.Append(ts, []byte(m))
	}
	return &pipeline.Request{Dest: dest, Parts: []pipeline.Part{{Block: b, From: 0, To: b.Len()}}, Events: b.Len()}
}

func messages(evs []cwltest.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Message)
	}
	return out
}

func send(t *testing.T, s *Sink, r *pipeline.Request) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Send(ctx, r); err != nil {
		t.Fatalf("send: %v", err)
	}
}

func TestSendCreatesGroupAndStreamAndSorts(t *testing.T) {
	fake := cwltest.New(t, cwltest.Options{})
	s := newSink(t, fake, nil)
	now := time.Now().UnixMilli()
	b := pipeline.NewBlock(dest, "test")
	b.Append(now+2, []byte(`third "quoted" \ back`))
	b.Append(now, []byte("first\ttab"))
	b.Append(now+1, []byte("second é ✓ \x01"))
	send(t, s, &pipeline.Request{Dest: dest, Parts: []pipeline.Part{{Block: b, From: 0, To: 3}}})

	want := []string{"first\ttab", "second é ✓ \x01", `third "quoted" \ back`}
	if diff := cmp.Diff(want, messages(fake.Events(dest.Group, dest.Stream))); diff != "" {
		t.Errorf("stored events (-want +got):\n%s", diff)
	}
	if got := s.Stats.EventsSent.Load(); got != 3 {
		t.Errorf("events sent = %d, want 3", got)
	}
}

func TestRetriesUntilAccepted(t *testing.T) {
	fake := cwltest.New(t, cwltest.Options{})
	s := newSink(t, fake, nil)
	send(t, s, request(time.Now().UnixMilli(), "warm-up")) // creates group and stream
	fake.Inject(
		cwltest.Fault{Op: "PutLogEvents", Status: http.StatusBadRequest, ErrorType: "ThrottlingException", Message: "Rate exceeded"},
		cwltest.Fault{Op: "PutLogEvents", Status: http.StatusInternalServerError, ErrorType: "InternalFailure"},
		cwltest.Fault{Op: "PutLogEvents", Status: http.StatusServiceUnavailable, ErrorType: "ServiceUnavailableException"},
		cwltest.Fault{Op: "PutLogEvents", Reset: true},
		cwltest.Fault{Op: "PutLogEvents", Status: http.StatusBadRequest, ErrorType: "ExpiredTokenException"},
	)
	send(t, s, request(time.Now().UnixMilli(), "survivor"))

	if diff := cmp.Diff([]string{"warm-up", "survivor"}, messages(fake.Events(dest.Group, dest.Stream))); diff != "" {
		t.Errorf("stored events (-want +got):\n%s", diff)
	}
	if got := s.Stats.Retries.Load(); got != 5 {
		t.Errorf("retries = %d, want 5", got)
	}
	if got := s.Stats.Requests[OutcomeThrottled].Load(); got != 1 {
		t.Errorf("throttled requests = %d, want 1", got)
	}
	if got := s.Stats.Requests[OutcomeAuth].Load(); got != 1 {
		t.Errorf("auth failures = %d, want 1", got)
	}
	if st := s.Status(); st.Failing {
		t.Errorf("status after delivery = %+v, want not failing", st)
	}
}

// TestAccessDeniedIsRetriedAndReported: refused access is not dropped;
// it is retried and shows in the sink's status until delivery resumes.
func TestAccessDeniedIsRetriedAndReported(t *testing.T) {
	fake := cwltest.New(t, cwltest.Options{})
	s := newSink(t, fake, nil)
	send(t, s, request(time.Now().UnixMilli(), "warm-up"))
	for range 20 {
		fake.Inject(cwltest.Fault{Op: "PutLogEvents", Status: http.StatusBadRequest,
			ErrorType: "AccessDeniedException", Message: "not authorized to perform: logs:PutLogEvents"})
	}
	done := make(chan error, 1)
	go func() { done <- s.Send(context.Background(), request(time.Now().UnixMilli(), "kept")) }()
	deadline := time.Now().Add(10 * time.Second)
	for !s.Status().Auth {
		if time.Now().After(deadline) {
			t.Fatal("status never reported the refused access")
		}
		time.Sleep(time.Millisecond)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"warm-up", "kept"}, messages(fake.Events(dest.Group, dest.Stream))); diff != "" {
		t.Errorf("stored events (-want +got):\n%s", diff)
	}
	if st := s.Status(); st.Failing || st.Auth {
		t.Errorf("status after recovery = %+v", st)
	}
}

func TestDropsEventsOutsideTheServiceWindow(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	fake := cwltest.New(t, cwltest.Options{Now: func() time.Time { return now }})
	s := newSink(t, fake, func() time.Time { return now })
	b := pipeline.NewBlock(dest, "test")
	b.Append(now.Add(-15*24*time.Hour).UnixMilli(), []byte("too old"))
	b.Append(now.UnixMilli(), []byte("fine"))
	b.Append(now.Add(3*time.Hour).UnixMilli(), []byte("too new"))
	send(t, s, &pipeline.Request{Dest: dest, Parts: []pipeline.Part{{Block: b, From: 0, To: 3}}})

	if diff := cmp.Diff([]string{"fine"}, messages(fake.Events(dest.Group, dest.Stream))); diff != "" {
		t.Errorf("stored events (-want +got):\n%s", diff)
	}
	if o, n := s.Stats.Dropped[ReasonTooOld].Load(), s.Stats.Dropped[ReasonTooNew].Load(); o != 1 || n != 1 {
		t.Errorf("dropped too old/new = %d/%d, want 1/1", o, n)
	}
}

// TestIsolatesEventsRefusedAsInvalid checks that a request the service
// refuses is split until only the offending event is dropped, as when the
// service's event limit is lower than the one configured (case B26).
func TestIsolatesEventsRefusedAsInvalid(t *testing.T) {
	fake := cwltest.New(t, cwltest.Options{MaxEventBytes: 100, AllowInvalid: true})
	s := newSink(t, fake, nil)
	msgs := []string{"a", "b", strings.Repeat("x", 101), "c", "d"}
	send(t, s, request(time.Now().UnixMilli(), msgs...))

	if diff := cmp.Diff([]string{"a", "b", "c", "d"}, messages(fake.Events(dest.Group, dest.Stream))); diff != "" {
		t.Errorf("stored events (-want +got):\n%s", diff)
	}
	if got := s.Stats.Dropped[ReasonInvalid].Load(); got != 1 {
		t.Errorf("dropped invalid = %d, want 1", got)
	}
	for _, r := range fake.Requests() {
		if r.Status == http.StatusBadRequest && r.Events == 1 && r.Bytes < 100 {
			t.Errorf("a valid single event was refused: %+v", r)
		}
	}
}

func TestRecreatesDeletedGroup(t *testing.T) {
	fake := cwltest.New(t, cwltest.Options{})
	s := newSink(t, fake, nil)
	send(t, s, request(time.Now().UnixMilli(), "before"))
	fake.DeleteGroup(dest.Group)
	send(t, s, request(time.Now().UnixMilli(), "after"))
	if diff := cmp.Diff([]string{"after"}, messages(fake.Events(dest.Group, dest.Stream))); diff != "" {
		t.Errorf("stored events (-want +got):\n%s", diff)
	}
}

func TestDeliveryResumesAfterOutage(t *testing.T) {
	fake := cwltest.New(t, cwltest.Options{})
	s := newSink(t, fake, nil)
	fake.SetDown(true)
	done := make(chan error, 1)
	go func() { done <- s.Send(context.Background(), request(time.Now().UnixMilli(), "patient")) }()
	deadline := time.Now().Add(10 * time.Second)
	for s.Stats.Retries.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatal("no retries while the endpoint was down")
		}
		time.Sleep(5 * time.Millisecond)
	}
	fake.SetDown(false)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("delivery did not resume after the outage")
	}
	if diff := cmp.Diff([]string{"patient"}, messages(fake.Events(dest.Group, dest.Stream))); diff != "" {
		t.Errorf("stored events (-want +got):\n%s", diff)
	}
}

func TestSendStopsWithContext(t *testing.T) {
	fake := cwltest.New(t, cwltest.Options{})
	s := newSink(t, fake, nil)
	fake.SetDown(true)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := s.Send(ctx, request(time.Now().UnixMilli(), "x")); err == nil {
		t.Fatal("send returned nil although nothing was delivered")
	}
}

// TestEncodeIsValidJSON checks a whole body: names and messages escaped,
// and each event's timestamp its own where neighbours share one, differ
// in the last digit or in length.
func TestEncodeIsValidJSON(t *testing.T) {
	var evs []event
	for i, ts := range []int64{0, 0, 9, 1764849600000, 1764849600000, 1764849600001} {
		evs = append(evs, event{ts: ts, msg: []byte(fmt.Sprintf("m%d \"\\\n\x00\x1f\u2028 é", i))})
	}
	body := appendPutLogEvents(nil, pipeline.Dest{Group: "g", Stream: `s"\`}, evs)
	want := `{"logGroupName":"g","logStreamName":"s\"\\","logEvents":[`
	for i, ts := range []string{"0", "0", "9", "1764849600000", "1764849600000", "1764849600001"} {
		if i > 0 {
			want += ","
		}
		want += `{"timestamp":` + ts + `,"message":"m` + strconv.Itoa(i) + ` \"\\\n\u0000\u001f` + "\u2028" + ` é"}`
	}
	want += "]}"
	if !json.Valid(body) {
		t.Errorf("body is not valid JSON:\n%s", body)
	}
	if string(body) != want {
		t.Errorf("body =\n%s\nwant\n%s", body, want)
	}
}

// TestToleratesResourceAlreadyExists plays a race with another agent: the
// service says the stream is missing, but by the time corral creates it,
// it exists.
func TestToleratesResourceAlreadyExists(t *testing.T) {
	fake := cwltest.New(t, cwltest.Options{})
	s := newSink(t, fake, nil)
	send(t, s, request(time.Now().UnixMilli(), "first"))
	before := len(fake.Calls())
	fake.Inject(cwltest.Fault{Op: "PutLogEvents", Status: http.StatusBadRequest,
		ErrorType: "ResourceNotFoundException", Message: "The specified log stream does not exist."})
	send(t, s, request(time.Now().UnixMilli(), "second"))
	if diff := cmp.Diff([]string{"first", "second"}, messages(fake.Events(dest.Group, dest.Stream))); diff != "" {
		t.Errorf("stored events (-want +got):\n%s", diff)
	}
	var exists int
	for _, c := range fake.Calls()[before:] {
		if c.Op == "CreateLogStream" && c.Status == http.StatusBadRequest {
			exists++
		}
	}
	if exists != 1 {
		t.Errorf("CreateLogStream refused %d times, want once (already exists)", exists)
	}
}

// TestRetentionSetAfterATransientFailure: setting the retention of a new
// group fails for a while; it is set by a later request, not forgotten
// because the group now exists.
func TestRetentionSetAfterATransientFailure(t *testing.T) {
	fake := cwltest.New(t, cwltest.Options{})
	s := newSinkWith(t, fake, GroupSettings{RetentionDays: 30})
	fake.Inject(cwltest.Fault{Op: "PutRetentionPolicy", Status: http.StatusBadRequest, ErrorType: "ThrottlingException"})
	send(t, s, request(time.Now().UnixMilli(), "first"))
	send(t, s, request(time.Now().UnixMilli(), "second"))
	var ok int
	for _, c := range fake.Calls() {
		if c.Op == "PutRetentionPolicy" && c.Status == http.StatusOK {
			ok++
		}
	}
	if ok != 1 {
		t.Errorf("retention set %d times, want once after the failure", ok)
	}
}

// TestCreateDeniedIsAnAccessProblem: AccessDenied from CreateLogGroup is
// counted and reported as refused access, not as a network failure.
func TestCreateDeniedIsAnAccessProblem(t *testing.T) {
	fake := cwltest.New(t, cwltest.Options{})
	s := newSinkWith(t, fake, GroupSettings{})
	fake.Inject(cwltest.Fault{Op: "CreateLogGroup", Status: http.StatusBadRequest, ErrorType: "AccessDeniedException",
		Message: "not authorized to perform: logs:CreateLogGroup"})
	done := make(chan error, 1)
	go func() { done <- s.Send(context.Background(), request(time.Now().UnixMilli(), "x")) }()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := s.Stats.Requests[OutcomeAuth].Load(); got != 1 {
		t.Errorf("auth outcomes = %d, want 1 (network = %d)", got, s.Stats.Requests[OutcomeNetwork].Load())
	}
}

// TestServiceRefusedEventsAreCountedNotRetried: the service's clock is
// 3 hours behind corral's, so it refuses every event as too new in an
// HTTP 200 answer; corral counts them as dropped from the answer's
// rejectedLogEventsInfo and does not send them again.
func TestServiceRefusedEventsAreCountedNotRetried(t *testing.T) {
	now := time.Now()
	fake := cwltest.New(t, cwltest.Options{Now: func() time.Time { return now.Add(-3 * time.Hour) }})
	s := newSink(t, fake, func() time.Time { return now })
	send(t, s, request(now.UnixMilli(), "a", "b", "c"))
	if got := s.Stats.Dropped[ReasonTooNew].Load(); got != 3 {
		t.Errorf("dropped too new = %d, want 3", got)
	}
	if got := s.Stats.EventsSent.Load(); got != 0 {
		t.Errorf("events sent = %d, want 0", got)
	}
	ok := 0
	for _, r := range fake.Requests() {
		if r.Status == http.StatusOK {
			ok++
		}
	}
	if ok != 1 {
		t.Errorf("%d accepted requests, want 1 (no retry of refused events)", ok)
	}
	var n int64
	for i := range s.Stats.Latency {
		n += s.Stats.Latency[i].Load()
	}
	if n == 0 {
		t.Error("no request latency observed")
	}
}
