package cloudwatch

import (
	"context"
	"sync"
)

// limiter bounds the requests in flight and adapts the bound to the
// service: a throttled request halves it, and a full round of successful
// ones raises it by one, up to the configured concurrency. A fleet of
// agents sharing one account's quota so backs off together instead of
// hammering it, and grows back as the quota allows.
type limiter struct {
	mu sync.Mutex
	// guarded by mu:
	limit    int
	max      int
	inflight int
	credit   int // successes since the limit last grew
	waiters  []chan struct{}
}

func newLimiter(max int) *limiter {
	return &limiter{limit: max, max: max}
}

// acquire waits for a slot, or until ctx ends.
func (l *limiter) acquire(ctx context.Context) error {
	l.mu.Lock()
	if l.inflight < l.limit {
		l.inflight++
		l.mu.Unlock()
		return nil
	}
	ready := make(chan struct{})
	l.waiters = append(l.waiters, ready)
	l.mu.Unlock()

	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		l.mu.Lock()
		defer l.mu.Unlock()
		for i, w := range l.waiters {
			if w == ready {
				l.waiters = append(l.waiters[:i], l.waiters[i+1:]...)
				return ctx.Err()
			}
		}
		// Handed a slot while giving up: pass it on.
		l.releaseLocked()
		return ctx.Err()
	}
}

// release frees a slot, and records how the request went.
func (l *limiter) release(throttled, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case throttled:
		l.limit = max(1, l.limit/2)
		l.credit = 0
	case ok && l.limit < l.max:
		l.credit++
		if l.credit >= l.limit {
			l.limit++
			l.credit = 0
		}
	}
	l.releaseLocked()
}

// releaseLocked frees a slot and hands free slots to waiters.
func (l *limiter) releaseLocked() {
	l.inflight--
	for l.inflight < l.limit && len(l.waiters) > 0 {
		w := l.waiters[0]
		l.waiters = l.waiters[1:]
		l.inflight++
		close(w)
	}
}

// current reports the limit in force.
func (l *limiter) current() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.limit
}
