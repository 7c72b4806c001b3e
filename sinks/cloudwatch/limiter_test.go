package cloudwatch

import (
	"context"
	"testing"
	"time"
)

func TestLimiterHalvesOnThrottleAndGrowsBack(t *testing.T) {
	l := newLimiter(8)
	ctx := context.Background()
	step := func(throttled bool) {
		if err := l.acquire(ctx); err != nil {
			t.Fatal(err)
		}
		l.release(throttled, !throttled)
	}
	step(true)
	step(true)
	if got := l.current(); got != 2 {
		t.Fatalf("after two throttles limit = %d, want 2", got)
	}
	// One step per full round of successes: 2 successes make 3, 3 make 4.
	for range 2 {
		step(false)
	}
	if got := l.current(); got != 3 {
		t.Errorf("after a round at 2, limit = %d, want 3", got)
	}
	for range 100 {
		step(false)
	}
	if got := l.current(); got != 8 {
		t.Errorf("after many successes limit = %d, want the maximum 8", got)
	}
}

func TestLimiterBlocksAtTheLimit(t *testing.T) {
	l := newLimiter(1)
	ctx := context.Background()
	if err := l.acquire(ctx); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := l.acquire(short); err == nil {
		t.Fatal("a second request got a slot over the limit")
	}
	got := make(chan error, 1)
	go func() { got <- l.acquire(ctx) }()
	l.release(false, true)
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a waiter was not woken by a release")
	}
}
