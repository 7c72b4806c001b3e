package file

import (
	"context"
	"path/filepath"
	"time"

	"go.uber.org/zap"
)

// reader services due files until the source stops.
func (s *Source) reader(ctx context.Context) {
	defer s.wg.Done()
	for t := range s.work {
		s.serviced <- t.service(ctx)
	}
}

// enqueue makes t due for service now.
func (s *Source) enqueue(t *tailer) {
	if t.queued {
		return
	}
	t.queued = true
	s.queue = append(s.queue, t)
}

// maxTick is the longest the Run goroutine sleeps when no file is due
// sooner: a safety net, since every change of a file's next check moves
// the tick nearer (checkBy).
const maxTick = time.Second

// due queues every file whose next check has come, frees a descriptor for
// a reader that waits for one, and sets the tick for the next file due.
// An idle host thus wakes once for its next check, not every minPoll.
func (s *Source) due(now time.Time) {
	wait := maxTick
	if s.fdWaiting.Load() > 0 {
		s.freeFD()
		wait = minPoll // again soon, in case no file went idle
	}
	for _, t := range s.tailers {
		switch {
		case t.queued:
		case !now.Before(t.next):
			s.enqueue(t)
		default:
			wait = min(wait, t.next.Sub(now))
		}
	}
	s.tickAt = now.Add(wait)
	s.tick.Reset(wait)
}

// checkBy makes the tick come no later than at, when a file's next check
// was set.
func (s *Source) checkBy(at time.Time) {
	if at.Before(s.tickAt) {
		s.tickAt = at
		s.tick.Reset(max(0, at.Sub(s.opts.Now())))
	}
}

// after takes a file back from a reader and decides when to look at it
// again: at once if it has more, soon if it just had data, and less and
// less often while it stays idle.
func (s *Source) after(r result) {
	t := r.t
	t.queued, t.busy = false, false
	woken := t.woken
	t.woken = false
	if r.done {
		if r.err != nil && !isCanceled(r.err) {
			s.log.Warn("stopped reading file", zap.String("path", t.path), zap.Error(r.err))
		}
		s.retire(t)
		return
	}
	switch {
	case r.more, woken && !r.read:
		// More to read, or written to while it was read and found
		// nothing: the write came after the read's end.
		s.enqueue(t)
		return
	case r.read:
		t.wait = minPoll
	default:
		ceiling := maxPoll
		if s.watchedOK[filepath.Dir(t.path)] {
			ceiling = maxPollWatched
		}
		t.wait = min(t.wait*2, ceiling)
	}
	t.next = s.opts.Now().Add(t.wait)
	if due, ok := t.flushDue(); ok && due.Before(t.next) {
		t.next = due // a partial line or an open event is due to ship
	}
	s.checkBy(t.next)
	if s.fdWaiting.Load() > 0 {
		// A reader waits for a descriptor: this file is idle, so it gives
		// its own up.
		t.close()
	}
}

// busyWriting reports whether t read data at its last check and is due
// again within minPoll: a file written steadily, whose writes are read a
// batch at a time at that check rather than one wake-up each.
func (t *tailer) busyWriting(now time.Time) bool {
	return !t.queued && t.wait == minPoll && t.next.After(now) && t.next.Sub(now) <= minPoll
}

// wakeFile makes a file's next check happen now.
func (s *Source) wakeFile(t *tailer) {
	t.wait = minPoll
	t.next = time.Time{}
	s.enqueue(t)
}

// acquireFD takes a descriptor slot for a reader, asking the Run
// goroutine to close an idle file when none is free.
func (s *Source) acquireFD(ctx context.Context) error {
	if s.tryAcquireFD() {
		return nil
	}
	s.fdWaiting.Add(1)
	defer s.fdWaiting.Add(-1)
	select {
	case s.needFD <- struct{}{}:
	default:
	}
	if err := s.fds.Acquire(ctx, 1); err != nil {
		return err
	}
	s.Stats.Open.Add(1)
	return nil
}

// tryAcquireFD takes a descriptor slot if one is free.
func (s *Source) tryAcquireFD() bool {
	if !s.fds.TryAcquire(1) {
		return false
	}
	s.Stats.Open.Add(1)
	return true
}

// heldFDs is how many descriptors tailers may hold: max_open_files less
// the one the Run goroutine uses for a moment to identify a new or
// rotated file, so that the source never holds more than the cap. With
// a cap of 1 that one is shared, and a scan may briefly hold a second.
func heldFDs(maxOpen int) int { return max(1, maxOpen-1) }

func (s *Source) releaseFD() {
	s.Stats.Open.Add(-1)
	s.fds.Release(1)
}

// freeFD closes the descriptor of the file idle the longest that no
// reader holds. When readers hold every open file, the next one to go
// idle gives its descriptor up (see after).
func (s *Source) freeFD() {
	var oldest *tailer
	for _, t := range s.tailers {
		if !t.busy && t.f != nil && (oldest == nil || t.lastData.Before(oldest.lastData)) {
			oldest = t
		}
	}
	if oldest != nil {
		oldest.close()
	}
}

func isCanceled(err error) bool {
	return err == context.Canceled || err == context.DeadlineExceeded
}
