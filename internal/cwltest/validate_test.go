package cwltest

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/google/go-cmp/cmp"
)

func TestPutLogEventsValidation(t *testing.T) {
	t.Parallel()
	// Events at a time in the window of the fixed clock.
	base := clock.Add(-time.Hour).UnixMilli()
	day := (24 * time.Hour).Milliseconds()
	x := func(n, size int) []types.InputLogEvent { return events(n, base, "x", size) }
	e := func(n, size int) []types.InputLogEvent { return events(n, base, "é", size) }
	at := func(evs ...types.InputLogEvent) []types.InputLogEvent { return evs }
	cat := func(a, b []types.InputLogEvent) []types.InputLogEvent { return append(a, b...) }
	const half = maxRequestBytes/2 - eventOverhead // two of these fill a request
	const bad = errInvalidParameter

	tests := []struct {
		name          string
		maxEventBytes int
		events        []types.InputLogEvent
		want          string // error code; "" for success
	}{
		{name: "one event", events: x(1, 1)},

		// Request size: message bytes plus 26 per event.
		{name: "exactly 1,048,576 bytes", events: x(2, half)},
		{name: "1,048,577 bytes", events: cat(x(1, half), x(1, half+1)), want: bad},
		{name: "exactly 1,048,576 bytes of 2-byte characters", events: e(2, half)},
		{name: "1,048,578 bytes of 2-byte characters", events: cat(e(1, half), e(1, half+2)), want: bad},
		{name: "10,000 events at 1,048,576 bytes", events: cat(x(9_999, 78), x(1, 8_654))},
		{name: "10,000 events at 1,048,577 bytes", events: cat(x(9_999, 78), x(1, 8_655)), want: bad},

		// Event count.
		{name: "10,000 events", events: x(10_000, 1)},
		{name: "10,001 events", events: x(10_001, 1), want: bad},
		{name: "no events", events: []types.InputLogEvent{}, want: bad},

		// Messages.
		{name: "largest message by default", events: x(1, DefaultMaxEventBytes)},
		{name: "message over the default", events: x(1, DefaultMaxEventBytes+1), want: bad},
		{name: "message of exactly MaxEventBytes", maxEventBytes: 1000, events: x(1, 1000)},
		{name: "message over MaxEventBytes", maxEventBytes: 1000, events: x(1, 1001), want: bad},
		{name: "MaxEventBytes counts bytes", maxEventBytes: 1000, events: e(1, 1002), want: bad},
		{name: "empty message", events: at(event(base, "a"), event(base, "")), want: bad},
		{name: "whitespace message", events: at(event(base, "   "))},

		// Order and span.
		{name: "equal timestamps", events: at(event(base, "a"), event(base, "b"))},
		{name: "timestamps going back", events: at(event(base, "a"), event(base-1, "b")), want: bad},
		{name: "span of exactly 24 hours", events: at(event(base-day, "a"), event(base, "b"))},
		{name: "span of 24 hours and 1 ms", events: at(event(base-day-1, "a"), event(base, "b")),
			want: bad},
		{name: "span counts only events in the window", events: at(
			event(clock.Add(-maxAge).UnixMilli()-1, "too old"), event(base, "b"),
		)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := New(t, Options{MaxEventBytes: tt.maxEventBytes, Now: fixedNow, AllowInvalid: true})
			c := newClient(t, s.URL())
			mustCreate(t, c, "g", "s")

			_, err := put(c, "g", "s", tt.events...)
			if got := errorCode(err); got != tt.want {
				t.Fatalf("PutLogEvents error = %q (%v), want %q", got, err, tt.want)
			}
			checkVerdict(t, s, tt.want == "")
		})
	}
}

// checkVerdict checks that the one PutLogEvents request s saw was taken, or
// refused and recorded as a violation.
func checkVerdict(t *testing.T, s *Server, valid bool) {
	t.Helper()
	reqs, violations := s.Requests(), s.Violations()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests recorded, want 1", len(reqs))
	}
	wantStatus, wantViolations := http.StatusOK, 0
	if !valid {
		wantStatus, wantViolations = http.StatusBadRequest, 1
	}
	if reqs[0].Status != wantStatus {
		t.Errorf("recorded status %d, want %d", reqs[0].Status, wantStatus)
	}
	if len(violations) != wantViolations {
		t.Errorf("violations = %q, want %d", violations, wantViolations)
	}
	if n, _ := s.Total(); !valid && n != 0 {
		t.Errorf("a refused request stored %d events", n)
	}
}

// TestNameValidation checks names in CreateLogGroup, CreateLogStream and
// PutLogEvents alike.
func TestNameValidation(t *testing.T) {
	t.Parallel()
	long := func(s string, n int) string { return strings.Repeat(s, n) }
	tests := []struct {
		name          string
		group, stream string
		bad           string // "group", "stream", or "" when both are valid
	}{
		{"group of 512 characters", long("g", 512), "s", ""},
		{"group of 513 characters", long("g", 513), "s", "group"},
		{"empty group", "", "s", "group"},
		{"group of every allowed character", "/a.b-c_d#Z9", "s", ""},
		{"group with a space", "a b", "s", "group"},
		{"group with a colon", "a:b", "s", "group"},
		{"group with a non-ASCII letter", "é", "s", "group"},
		{"group starting with aws/", "aws/x", "s", "group"},
		{"group starting with /aws/", "/aws/x", "s", ""},

		{"stream of 512 characters", "g", long("é", 512), ""},
		{"stream of 513 characters", "g", long("s", 513), "stream"},
		{"empty stream", "g", "", "stream"},
		{"stream with a colon", "g", "a:b", "stream"},
		{"stream with a star", "g", "a*b", "stream"},
		{"stream with spaces and symbols", "g", "a b/é#?", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := New(t, Options{Now: fixedNow, AllowInvalid: true})
			c := newClient(t, s.URL())
			want, wantGroup := "", ""
			if tt.bad != "" {
				want = errInvalidParameter
			}
			if tt.bad == "group" {
				wantGroup = errInvalidParameter
			}

			err := createGroup(c, tt.group)
			if got := errorCode(err); got != wantGroup {
				t.Errorf("CreateLogGroup: %q (%v), want %q", got, err, wantGroup)
			}
			err = createStream(c, tt.group, tt.stream)
			if got := errorCode(err); got != want {
				t.Errorf("CreateLogStream: %q (%v), want %q", got, err, want)
			}
			_, err = put(c, tt.group, tt.stream, event(clock.UnixMilli(), "x"))
			if got := errorCode(err); got != want {
				t.Errorf("PutLogEvents: %q (%v), want %q", got, err, want)
			}
		})
	}
}

func TestPutLogEventsRecorded(t *testing.T) {
	t.Parallel()
	s := New(t, Options{Now: fixedNow})
	c := newClient(t, s.URL())
	mustCreate(t, c, "g", "s")
	ms := clock.UnixMilli()
	if _, err := put(c, "g", "s", event(ms, "héllo"), event(ms, "b")); err != nil {
		t.Fatal(err)
	}

	reqs := s.Requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests, want 1", len(reqs))
	}
	got := reqs[0]
	got.WireBytes, got.BodyBytes = 0, 0 // depend on the SDK's encoding
	want := Request{
		Group: "g", Stream: "s", Events: 2, Bytes: 6 + 26 + 1 + 26, Status: 200, AccessKeyID: testKeyID,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
	if reqs[0].WireBytes == 0 || reqs[0].BodyBytes != reqs[0].WireBytes {
		t.Errorf("WireBytes = %d, BodyBytes = %d: want equal, not 0", reqs[0].WireBytes, reqs[0].BodyBytes)
	}
	wantEvents := []Event{{ms, "héllo"}, {ms, "b"}}
	if diff := cmp.Diff(wantEvents, s.Events("g", "s")); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	calls := s.Calls()
	var ops []string
	for _, c := range calls {
		if c.AccessKeyID != testKeyID {
			t.Errorf("call %s recorded access key %q, want %q", c.Op, c.AccessKeyID, testKeyID)
		}
		ops = append(ops, c.Op)
	}
	wantOps := []string{"CreateLogGroup", "CreateLogStream", "PutLogEvents"}
	if diff := cmp.Diff(wantOps, ops); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

// TestRejectedLogEventsInfo checks the indices of events refused one by one:
// tooOldLogEventEndIndex is exclusive, tooNewLogEventStartIndex inclusive
// (API reference, RejectedLogEventsInfo).
func TestRejectedLogEventsInfo(t *testing.T) {
	t.Parallel()
	now := clock.UnixMilli()
	oldest := clock.Add(-maxAge).UnixMilli()
	newest := clock.Add(maxAhead).UnixMilli()
	day := (24 * time.Hour).Milliseconds()
	tests := []struct {
		name      string
		retention int32
		events    []types.InputLogEvent
		want      *types.RejectedLogEventsInfo
		stored    []string
	}{{
		name: "old, old, ok, ok, new",
		events: []types.InputLogEvent{
			event(oldest-2*day, "too-old-1"), event(oldest-day, "too-old-2"),
			event(now-day/2, "ok-1"), event(now, "ok-2"), event(newest+1, "too-new-1"),
		},
		want: &types.RejectedLogEventsInfo{
			TooOldLogEventEndIndex: aws.Int32(2), TooNewLogEventStartIndex: aws.Int32(4),
		},
		stored: []string{"ok-1", "ok-2"},
	}, {
		name:   "14 days old is inside",
		events: []types.InputLogEvent{event(oldest-1, "old"), event(oldest, "first")},
		want:   &types.RejectedLogEventsInfo{TooOldLogEventEndIndex: aws.Int32(1)},
		stored: []string{"first"},
	}, {
		name:   "2 hours ahead is inside",
		events: []types.InputLogEvent{event(newest, "last"), event(newest+1, "new")},
		want:   &types.RejectedLogEventsInfo{TooNewLogEventStartIndex: aws.Int32(1)},
		stored: []string{"last"},
	}, {
		name:   "all too old",
		events: []types.InputLogEvent{event(oldest-2, "a"), event(oldest-1, "b")},
		want:   &types.RejectedLogEventsInfo{TooOldLogEventEndIndex: aws.Int32(2)},
	}, {
		name:   "all too new",
		events: []types.InputLogEvent{event(newest+1, "a"), event(newest+2, "b")},
		want:   &types.RejectedLogEventsInfo{TooNewLogEventStartIndex: aws.Int32(0)},
	}, {
		name:      "older than the retention",
		retention: 1,
		events: []types.InputLogEvent{
			event(oldest-1, "old"), event(now-day-1, "expired"), event(now-day+1, "ok"),
		},
		want: &types.RejectedLogEventsInfo{
			TooOldLogEventEndIndex: aws.Int32(1), ExpiredLogEventEndIndex: aws.Int32(2),
		},
		stored: []string{"ok"},
	}, {
		name:   "none refused",
		events: []types.InputLogEvent{event(now, "ok")},
		stored: []string{"ok"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := New(t, Options{Now: fixedNow})
			c := newClient(t, s.URL())
			mustCreate(t, c, "g", "s")
			if tt.retention > 0 {
				_, err := c.PutRetentionPolicy(context.Background(), &cloudwatchlogs.PutRetentionPolicyInput{
					LogGroupName: aws.String("g"), RetentionInDays: aws.Int32(tt.retention),
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			out, err := put(c, "g", "s", tt.events...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, out.RejectedLogEventsInfo, sameInfo); diff != "" {
				t.Errorf("rejectedLogEventsInfo (-want +got):\n%s", diff)
			}
			var stored []string
			for _, ev := range s.Events("g", "s") {
				stored = append(stored, ev.Message)
			}
			if diff := cmp.Diff(tt.stored, stored); diff != "" {
				t.Errorf("stored (-want +got):\n%s", diff)
			}
		})
	}
}

// TestInvalidUTF8 sends raw bodies, since the AWS SDK never sends invalid
// UTF-8 (see TestSDKReplacesInvalidUTF8).
func TestInvalidUTF8(t *testing.T) {
	t.Parallel()
	ms := clock.UnixMilli()
	tests := []struct {
		name    string
		message string // raw JSON string contents, between the quotes
		want    int
	}{
		{"valid", `héllo`, 200},
		{"invalid byte", "a\xffb", 400},
		{"truncated sequence", "a\xc3", 400},
		{"escaped surrogate pair", `\ud83d\ude00`, 200},
		{"lone high surrogate", `a\ud83db`, 400},
		{"lone low surrogate", `a\ude00b`, 400},
		{"two high surrogates", `\ud83d\ud83d`, 400},
		{"escaped backslash before u", `\\ud800`, 200},
		{"control character escape", `a\u0001b`, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := New(t, Options{Now: fixedNow, AllowInvalid: true})
			mustCreate(t, newClient(t, s.URL()), "g", "s")
			body := `{"logGroupName":"g","logStreamName":"s","logEvents":[{"timestamp":` +
				jsonInt(ms) + `,"message":"` + tt.message + `"}]}`
			status, answer := post(t, s.URL(), "PutLogEvents", []byte(body), nil)
			if status != tt.want {
				t.Errorf("status %d (%s), want %d", status, answer, tt.want)
			}
		})
	}
}

func jsonInt(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestSDKReplacesInvalidUTF8 pins what the AWS SDK for Go does with invalid
// UTF-8: it sends U+FFFD (3 bytes) for each invalid byte, so the service
// stores a different and longer message than the one given.
func TestSDKReplacesInvalidUTF8(t *testing.T) {
	t.Parallel()
	s := New(t, Options{Now: fixedNow})
	c := newClient(t, s.URL())
	mustCreate(t, c, "g", "s")
	if _, err := put(c, "g", "s", event(clock.UnixMilli(), "a\xffb")); err != nil {
		t.Fatal(err)
	}
	if got := s.Events("g", "s")[0].Message; got != "a\uFFFDb" {
		t.Errorf("stored %q, want %q", got, "a\uFFFDb")
	}
	if got, want := s.Requests()[0].Bytes, 5+eventOverhead; got != want {
		t.Errorf("counted %d bytes, want %d", got, want)
	}
}

func TestGzipBody(t *testing.T) {
	t.Parallel()
	s := New(t, Options{Now: fixedNow})
	mustCreate(t, newClient(t, s.URL()), "g", "s")
	plain := `{"logGroupName":"g","logStreamName":"s","logEvents":[{"timestamp":` +
		jsonInt(clock.UnixMilli()) + `,"message":"` + strings.Repeat("z", 1000) + `"}]}`
	zipped := gzipped(plain)
	gzipHeader := map[string]string{"Content-Encoding": "gzip"}

	status, answer := post(t, s.URL(), "PutLogEvents", zipped, gzipHeader)
	if status != 200 {
		t.Fatalf("status %d: %s", status, answer)
	}
	got := s.Requests()[0]
	if !got.Gzip || got.WireBytes != len(zipped) || got.BodyBytes != len(plain) || got.Bytes != 1000+eventOverhead {
		t.Errorf("recorded Gzip=%t WireBytes=%d BodyBytes=%d Bytes=%d, want true, %d, %d, %d",
			got.Gzip, got.WireBytes, got.BodyBytes, got.Bytes, len(zipped), len(plain), 1000+eventOverhead)
	}
	if n := len(s.Events("g", "s")); n != 1 {
		t.Errorf("stored %d events, want 1", n)
	}

	status, _ = post(t, s.URL(), "PutLogEvents", []byte("not gzip"), gzipHeader)
	if status != 400 {
		t.Errorf("bad gzip: status %d, want 400", status)
	}
}

func TestInvalidRequestFailsTest(t *testing.T) {
	t.Parallel()
	rec := &errorRecorder{TB: t}
	s := New(rec, Options{Now: fixedNow})
	c := newClient(t, s.URL())
	mustCreate(t, c, "g", "s")
	_, err := put(c, "g", "s", event(clock.UnixMilli(), ""))
	if errorCode(err) != errInvalidParameter {
		t.Fatalf("err = %v, want %s", err, errInvalidParameter)
	}
	errs := rec.errors()
	if len(errs) != 1 || !strings.Contains(errs[0], "logEvents.1.member.message") {
		t.Errorf("test errors = %q, want one naming logEvents.1.member.message", errs)
	}
}
