package cwltest

import (
	"strings"
	"testing"
)

// TestStart checks a fake started outside a test's control: it serves,
// records an invalid request without failing anything, and closes twice.
func TestStart(t *testing.T) {
	t.Parallel()
	s, err := Start(Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := newClient(t, s.URL())
	mustCreate(t, c, "g", "s")

	if _, err := put(c, "g", "s", event(clock.UnixMilli(), "a")); err != nil {
		t.Errorf("valid PutLogEvents: %v", err)
	}
	_, err = put(c, "g", "s", event(clock.UnixMilli(), ""))
	if got := errorCode(err); got != errInvalidParameter {
		t.Errorf("empty message: error code %q, want %q", got, errInvalidParameter)
	}
	v := s.Violations()
	if len(v) != 1 || !strings.Contains(v[0], "logEvents.1.member.message") {
		t.Errorf("violations = %q, want the empty message", v)
	}
	if events, _ := s.Total(); events != 1 {
		t.Errorf("accepted %d events, want 1", events)
	}

	s.Close()
	s.Close()
}
