package cwltest

import (
	"context"
	"errors"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/google/go-cmp/cmp"
)

func TestFaultAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fault      Fault
		wantCode   string
		wantStatus int
	}{
		{Fault{Status: 400, ErrorType: "ThrottlingException", Message: "Rate exceeded"},
			"ThrottlingException", 400},
		{Fault{Status: 503, ErrorType: "ServiceUnavailableException"},
			"ServiceUnavailableException", 503},
		{Fault{Status: 400, ErrorType: "ExpiredTokenException"}, "ExpiredTokenException", 400},
		{Fault{Status: 500}, "UnknownError", 500},
	}
	for _, tt := range tests {
		t.Run(tt.wantCode, func(t *testing.T) {
			t.Parallel()
			s := New(t, Options{Now: fixedNow})
			c := newClient(t, s.URL())
			mustCreate(t, c, "g", "s")
			evs := []types.InputLogEvent{event(clock.UnixMilli(), "x")}

			s.Inject(tt.fault)
			_, err := put(c, "g", "s", evs...)
			if got := errorCode(err); got != tt.wantCode {
				t.Errorf("error code %q (%v), want %q", got, err, tt.wantCode)
			}
			if got := httpStatus(err); got != tt.wantStatus {
				t.Errorf("status %d, want %d", got, tt.wantStatus)
			}

			// The fault is used up: the same request now goes through once.
			if _, err := put(c, "g", "s", evs...); err != nil {
				t.Errorf("after the fault: %v", err)
			}
			if n := len(s.Events("g", "s")); n != 1 {
				t.Errorf("stored %d events, want 1", n)
			}
			var statuses []int
			for _, r := range s.Requests() {
				statuses = append(statuses, r.Status)
			}
			if diff := cmp.Diff([]int{tt.wantStatus, 200}, statuses); diff != "" {
				t.Errorf("recorded statuses (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFaultsByOpInOrder(t *testing.T) {
	t.Parallel()
	s := New(t, Options{Now: fixedNow})
	c := newClient(t, s.URL())
	mustCreate(t, c, "g", "s")
	evs := []types.InputLogEvent{event(clock.UnixMilli(), "x")}

	s.Inject(
		Fault{Op: "PutLogEvents", Status: 400, ErrorType: "ThrottlingException"},
		Fault{Op: "DescribeLogGroups", Status: 500, ErrorType: "InternalFailure"},
		Fault{Op: "PutLogEvents", Status: 503, ErrorType: "ServiceUnavailableException"},
		Fault{Status: 400, ErrorType: "AccessDeniedException"},
	)
	var got []string
	for range 4 {
		_, err := put(c, "g", "s", evs...)
		got = append(got, errorCode(err))
	}
	want := []string{"ThrottlingException", "ServiceUnavailableException", "AccessDeniedException", ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PutLogEvents answers (-want +got):\n%s", diff)
	}
	_, err := c.DescribeLogGroups(context.Background(), &cloudwatchlogs.DescribeLogGroupsInput{})
	if errorCode(err) != "InternalFailure" {
		t.Errorf("DescribeLogGroups: %v, want the InternalFailure left for it", err)
	}
}

func TestFaultDelay(t *testing.T) {
	t.Parallel()
	s := New(t, Options{Now: fixedNow})
	c := newClient(t, s.URL())
	mustCreate(t, c, "g", "s")
	evs := []types.InputLogEvent{event(clock.UnixMilli(), "x")}

	// A delay alone answers normally, late.
	const delay = 50 * time.Millisecond
	s.Inject(Fault{Delay: delay})
	start := time.Now()
	if _, err := put(c, "g", "s", evs...); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < delay {
		t.Errorf("answer took %v, want at least %v", took, delay)
	}

	// A client that gives up first is not held until the delay ends.
	s.Inject(Fault{Delay: time.Hour, Status: 500})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.PutLogEvents(ctx, putInput("g", "s", evs))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the client's deadline", err)
	}
	if n := len(s.Events("g", "s")); n != 1 {
		t.Errorf("stored %d events, want 1", n)
	}
}

func TestFaultReset(t *testing.T) {
	t.Parallel()
	s := New(t, Options{Now: fixedNow})
	c := newClient(t, s.URL())
	mustCreate(t, c, "g", "s")
	evs := []types.InputLogEvent{event(clock.UnixMilli(), "x")}

	s.Inject(Fault{Op: "PutLogEvents", Reset: true})
	_, err := put(c, "g", "s", evs...)
	if err == nil || errorCode(err) != "not an API error" {
		t.Fatalf("err = %v, want a transport error", err)
	}
	if _, err := put(c, "g", "s", evs...); err != nil {
		t.Errorf("after the reset: %v", err)
	}
	reqs := s.Requests()
	if len(reqs) != 2 || reqs[0].Status != 0 || reqs[1].Status != 200 {
		t.Errorf("requests = %+v, want statuses 0 then 200", reqs)
	}
	if n := len(s.Events("g", "s")); n != 1 {
		t.Errorf("stored %d events, want 1", n)
	}
}

func TestSetDown(t *testing.T) {
	t.Parallel()
	s := New(t, Options{Now: fixedNow})
	c := newClient(t, s.URL())
	mustCreate(t, c, "g", "s") // leaves a kept-alive connection open
	evs := []types.InputLogEvent{event(clock.UnixMilli(), "x")}

	s.SetDown(true)
	for i := range 3 {
		if _, err := put(c, "g", "s", evs...); errorCode(err) != "not an API error" {
			t.Fatalf("request %d while down: %v, want a transport error", i, err)
		}
	}
	resp, err := http.Get(s.URL())
	if err == nil {
		resp.Body.Close()
		t.Errorf("GET while down answered %s", resp.Status)
	}

	s.SetDown(false)
	if _, err := put(c, "g", "s", evs...); err != nil {
		t.Errorf("after coming back: %v", err)
	}
	if n := len(s.Events("g", "s")); n != 1 {
		t.Errorf("stored %d events, want 1", n)
	}
}

func TestSetRefusing(t *testing.T) {
	t.Parallel()
	s := New(t, Options{Now: fixedNow})
	c := newClient(t, s.URL())
	mustCreate(t, c, "g", "s") // leaves a kept-alive connection open
	evs := []types.InputLogEvent{event(clock.UnixMilli(), "x")}

	if err := s.SetRefusing(true); err != nil {
		t.Fatal(err)
	}
	// The first request may go out on the kept-alive connection, which
	// was cut; the next ones need a new connection, and are refused.
	if _, err := put(c, "g", "s", evs...); errorCode(err) != "not an API error" {
		t.Fatalf("first request while refusing: %v, want a transport error", err)
	}
	for i := range 2 {
		_, err := put(c, "g", "s", evs...)
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("request %d while refusing: %v, want connection refused", i+2, err)
		}
	}

	if err := s.SetRefusing(false); err != nil {
		t.Fatal(err)
	}
	if _, err := put(c, "g", "s", evs...); err != nil {
		t.Errorf("after coming back: %v", err)
	}
	if n := len(s.Events("g", "s")); n != 1 {
		t.Errorf("stored %d events, want 1", n)
	}
	if reqs := s.Requests(); len(reqs) != 1 {
		t.Errorf("recorded %d requests, want only the one answered", len(reqs))
	}
}
