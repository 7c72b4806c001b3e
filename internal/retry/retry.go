// Package retry is the one retry loop every sender uses: capped
// exponential backoff with full jitter, a server's requested delay
// honoured, and the decision to retry made by error type.
package retry

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"time"
)

// Policy sets the backoff. A zero value means the defaults.
type Policy struct {
	// Base is the cap of the first delay. Default 100 ms.
	Base time.Duration
	// Max caps every delay. Default 2 s: short enough that delivery resumes
	// within 2 s of an outage ending, since the next attempt notices it.
	Max time.Duration
}

// Defaults for Policy.
const (
	DefaultBase = 100 * time.Millisecond
	DefaultMax  = 2 * time.Second
)

// Backoff computes successive delays for one run of failures.
type Backoff struct {
	policy  Policy
	attempt int
}

// NewBackoff returns a backoff that starts at its first attempt.
func NewBackoff(p Policy) *Backoff {
	if p.Base <= 0 {
		p.Base = DefaultBase
	}
	if p.Max <= 0 {
		p.Max = DefaultMax
	}
	return &Backoff{policy: p}
}

// Next returns the delay before the next attempt: uniform in [0, cap),
// where cap doubles from Base per attempt up to Max ("full jitter"). A
// delay the server asked for (see Delayer) is the floor.
func (b *Backoff) Next(err error) time.Duration {
	ceiling := b.policy.Max
	if b.attempt < 30 {
		ceiling = min(b.policy.Max, b.policy.Base<<b.attempt)
	}
	b.attempt++
	d := time.Duration(rand.Int64N(int64(ceiling) + 1))
	var dl Delayer
	if errors.As(err, &dl) {
		d = max(d, dl.RetryAfter())
	}
	return d
}

// Attempt reports how many delays Next has handed out.
func (b *Backoff) Attempt() int { return b.attempt }

// Reset starts a new run of failures.
func (b *Backoff) Reset() { b.attempt = 0 }

// Retryabler is implemented by errors that know whether the same request
// may succeed later.
type Retryabler interface {
	Retryable() bool
}

// Delayer is implemented by errors that carry the server's requested delay.
type Delayer interface {
	RetryAfter() time.Duration
}

// Retryable reports whether err is worth retrying: an error that says so,
// any network error, or a timeout. Context cancellation is not.
func Retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var r Retryabler
	if errors.As(err, &r) {
		return r.Retryable()
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// Sleep waits for d, or until ctx ends.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
