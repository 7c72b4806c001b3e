package cwltest

import (
	"context"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/corral-logs/corral/internal/motoserver"
)

// TestMemoryRefusals checks the answers of the in-memory store to requests
// that are well formed but name the wrong thing.
func TestMemoryRefusals(t *testing.T) {
	t.Parallel()
	s := New(t, Options{Now: fixedNow})
	c := newClient(t, s.URL())
	mustCreate(t, c, "g", "s")
	ms := clock.UnixMilli()
	ctx := context.Background()

	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"CreateLogGroup twice", func() error { return createGroup(c, "g") }, errAlreadyExists},
		{"CreateLogStream twice", func() error { return createStream(c, "g", "s") }, errAlreadyExists},
		{"CreateLogStream in a missing group", func() error { return createStream(c, "none", "s") }, errNotFound},
		{"PutLogEvents to a missing group", func() error {
			_, err := put(c, "none", "s", event(ms, "x"))
			return err
		}, errNotFound},
		{"PutLogEvents to a missing stream", func() error {
			_, err := put(c, "g", "none", event(ms, "x"))
			return err
		}, errNotFound},
		{"DeleteLogGroup of a missing group", func() error {
			_, err := c.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("none")})
			return err
		}, errNotFound},
		{"GetLogEvents of a missing stream", func() error {
			_, err := c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
				LogGroupName: aws.String("g"), LogStreamName: aws.String("none"),
			})
			return err
		}, errNotFound},
		{"an operation the fake lacks", func() error {
			_, err := c.DescribeDestinations(ctx, &cloudwatchlogs.DescribeDestinationsInput{})
			return err
		}, errUnknownOperation},
	}
	for _, tt := range tests {
		if got := errorCode(tt.call()); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	if status, _ := post(t, s.URL(), "", nil, map[string]string{"X-Amz-Target": "Other.Op"}); status != 400 {
		t.Errorf("foreign target: status %d, want 400", status)
	}
	if v := s.Violations(); len(v) != 0 {
		t.Errorf("violations = %q, want none: none of these is an invalid request", v)
	}
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	s := New(t, Options{Now: fixedNow})
	c := newClient(t, s.URL())
	ctx := context.Background()
	mustCreate(t, c, "/app/a", "s2")
	mustCreate(t, c, "/app/b", "s1")
	mustCreate(t, c, "/other", "s1")
	if err := createStream(c, "/app/a", "s1"); err != nil {
		t.Fatal(err)
	}

	groups, err := c.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{
		LogGroupNamePrefix: aws.String("/app/"),
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range groups.LogGroups {
		names = append(names, aws.ToString(g.LogGroupName))
	}
	if diff := cmp.Diff([]string{"/app/a", "/app/b"}, names); diff != "" {
		t.Errorf("DescribeLogGroups (-want +got):\n%s", diff)
	}

	streams, err := c.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{
		LogGroupName: aws.String("/app/a"),
	})
	if err != nil {
		t.Fatal(err)
	}
	names = nil
	for _, st := range streams.LogStreams {
		names = append(names, aws.ToString(st.LogStreamName))
	}
	if diff := cmp.Diff([]string{"s1", "s2"}, names); diff != "" {
		t.Errorf("DescribeLogStreams (-want +got):\n%s", diff)
	}

	wantStreams := map[string][]string{"/app/a": {"s1", "s2"}, "/app/b": {"s1"}, "/other": {"s1"}}
	if diff := cmp.Diff(wantStreams, s.Streams()); diff != "" {
		t.Errorf("Streams (-want +got):\n%s", diff)
	}
}

// TestGetLogEvents reads events back in order, across requests, with the
// token protocol motoserver.AllEvents follows.
func TestGetLogEvents(t *testing.T) {
	t.Parallel()
	s := New(t, Options{Now: fixedNow})
	c := newClient(t, s.URL())
	mustCreate(t, c, "g", "s")
	ms := clock.UnixMilli()

	var want []string
	for r := range 3 {
		var evs []types.InputLogEvent
		for i := range 4 {
			msg := "m" + strconv.Itoa(r*4+i)
			want = append(want, msg)
			evs = append(evs, event(ms, msg))
		}
		if _, err := put(c, "g", "s", evs...); err != nil {
			t.Fatal(err)
		}
	}
	got, err := motoserver.AllEvents(context.Background(), c, "g", "s")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetLogEvents (-want +got):\n%s", diff)
	}
	const wantBytes = 10*2 + 2*3 + 12*eventOverhead // m0..m9, m10, m11
	if n, b := s.Count("g", "s"); n != 12 || b != wantBytes {
		t.Errorf("Count = %d events, %d bytes; want 12, %d", n, b, wantBytes)
	}
}

func TestRetentionAndDelete(t *testing.T) {
	t.Parallel()
	s := New(t, Options{Now: fixedNow, AllowInvalid: true})
	c := newClient(t, s.URL())
	ctx := context.Background()
	mustCreate(t, c, "g", "s")

	retention := func(days int32) error {
		_, err := c.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{
			LogGroupName: aws.String("g"), RetentionInDays: aws.Int32(days),
		})
		return err
	}
	if got := errorCode(retention(2)); got != errInvalidParameter {
		t.Errorf("PutRetentionPolicy 2 days: %q, want %q", got, errInvalidParameter)
	}
	if err := retention(3); err != nil {
		t.Errorf("PutRetentionPolicy 3 days: %v", err)
	}
	if v := s.Violations(); len(v) != 1 {
		t.Errorf("violations = %q, want the 2-day retention", v)
	}

	if _, err := c.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("g")}); err != nil {
		t.Fatal(err)
	}
	if got := s.Streams(); len(got) != 0 {
		t.Errorf("Streams after DeleteLogGroup = %v, want none", got)
	}
}

func TestDeleteGroupWhileRunning(t *testing.T) {
	t.Parallel()
	s := New(t, Options{Now: fixedNow})
	c := newClient(t, s.URL())
	mustCreate(t, c, "g", "s")
	evs := []types.InputLogEvent{event(clock.UnixMilli(), "x")}
	if _, err := put(c, "g", "s", evs...); err != nil {
		t.Fatal(err)
	}
	s.DeleteGroup("g")
	if _, err := put(c, "g", "s", evs...); errorCode(err) != errNotFound {
		t.Errorf("PutLogEvents after DeleteGroup: %v, want %s", err, errNotFound)
	}
	mustCreate(t, c, "g", "s")
	if _, err := put(c, "g", "s", evs...); err != nil {
		t.Errorf("PutLogEvents after creating again: %v", err)
	}
}

func TestDiscard(t *testing.T) {
	t.Parallel()
	var seen []string
	s := New(t, Options{Now: fixedNow, Discard: true, OnEvent: func(group, stream string, ev Event) {
		seen = append(seen, group+"/"+stream+":"+ev.Message)
	}})
	c := newClient(t, s.URL())
	mustCreate(t, c, "g", "s")
	ms := clock.UnixMilli()
	tooOld := clock.Add(-maxAge).UnixMilli() - 1
	evs := []types.InputLogEvent{event(tooOld, "old"), event(ms, "a"), event(ms, "bb")}
	if _, err := put(c, "g", "s", evs...); err != nil {
		t.Fatal(err)
	}

	if got := s.Events("g", "s"); len(got) != 0 {
		t.Errorf("Events = %v, want none with Discard", got)
	}
	if diff := cmp.Diff([]string{"g/s:a", "g/s:bb"}, seen); diff != "" {
		t.Errorf("OnEvent calls (-want +got):\n%s", diff)
	}
	if n, b := s.Count("g", "s"); n != 2 || b != 3+2*eventOverhead {
		t.Errorf("Count = %d, %d; want 2, %d", n, b, 3+2*eventOverhead)
	}
	if n, b := s.Total(); n != 2 || b != 3+2*eventOverhead {
		t.Errorf("Total = %d, %d; want 2, %d", n, b, 3+2*eventOverhead)
	}
	groups, err := c.DescribeLogGroups(context.Background(), &cloudwatchlogs.DescribeLogGroupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToInt64(groups.LogGroups[0].StoredBytes); got != 3+2*eventOverhead {
		t.Errorf("storedBytes = %d, want %d", got, 3+2*eventOverhead)
	}
}
