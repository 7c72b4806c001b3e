package retry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"
)

type serverDelay struct{ d time.Duration }

func (e serverDelay) Error() string             { return "slow down" }
func (e serverDelay) RetryAfter() time.Duration { return e.d }
func (e serverDelay) Retryable() bool           { return true }

func TestBackoffStaysWithinCap(t *testing.T) {
	b := NewBackoff(Policy{Base: 10 * time.Millisecond, Max: 80 * time.Millisecond})
	for i := range 200 {
		ceiling := 80 * time.Millisecond
		if i < 4 {
			ceiling = 10 * time.Millisecond << i
		}
		if d := b.Next(nil); d < 0 || d > ceiling {
			t.Fatalf("attempt %d: delay %v outside [0, %v]", i, d, ceiling)
		}
	}
	b.Reset()
	if b.Attempt() != 0 {
		t.Errorf("attempt after reset = %d, want 0", b.Attempt())
	}
}

func TestBackoffHonoursServerDelay(t *testing.T) {
	b := NewBackoff(Policy{Base: time.Millisecond, Max: time.Millisecond})
	err := fmt.Errorf("put: %w", serverDelay{3 * time.Second})
	if d := b.Next(err); d < 3*time.Second {
		t.Errorf("delay = %v, want at least the server's 3s", d)
	}
}

func TestRetryable(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("boom"), false},
		{context.Canceled, false},
		{context.DeadlineExceeded, true},
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, true},
		{fmt.Errorf("wrapped: %w", serverDelay{}), true},
	}
	for _, tt := range tests {
		if got := Retryable(tt.err); got != tt.want {
			t.Errorf("Retryable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestSleepEndsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep = %v, want context.Canceled", err)
	}
}
