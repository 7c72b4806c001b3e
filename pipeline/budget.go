package pipeline

import (
	"context"
	"sync/atomic"

	"golang.org/x/sync/semaphore"
)

// Budget bounds the bytes held by every event between reading and
// acknowledgement. Readers acquire before they read and wait while it is
// spent, so a slow or absent sink stops reading instead of growing memory.
type Budget struct {
	sem  *semaphore.Weighted
	max  int64
	used atomic.Int64
}

// NewBudget returns a budget of max bytes.
func NewBudget(max int64) *Budget {
	return &Budget{sem: semaphore.NewWeighted(max), max: max}
}

// Acquire waits until n bytes are free, or ctx ends. A request larger than
// the whole budget is clamped to it, so it waits for an empty pipeline
// instead of forever.
func (b *Budget) Acquire(ctx context.Context, n int64) (int64, error) {
	n = min(n, b.max)
	if err := b.sem.Acquire(ctx, n); err != nil {
		return 0, err
	}
	b.used.Add(n)
	return n, nil
}

// TryAcquire takes n bytes if they are free now.
func (b *Budget) TryAcquire(n int64) bool {
	if n > b.max || !b.sem.TryAcquire(n) {
		return false
	}
	b.used.Add(n)
	return true
}

// Release returns n bytes taken by Acquire or TryAcquire.
func (b *Budget) Release(n int64) {
	if n <= 0 {
		return
	}
	b.used.Add(-n)
	b.sem.Release(n)
}

// Used reports the bytes currently held.
func (b *Budget) Used() int64 { return b.used.Load() }

// Max reports the size of the budget.
func (b *Budget) Max() int64 { return b.max }
