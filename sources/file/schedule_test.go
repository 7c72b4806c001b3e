package file

import (
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
	"go.uber.org/zap/zaptest"

	"github.com/corral-logs/corral/parsers/frame"
	"github.com/corral-logs/corral/pipeline"
	"github.com/corral-logs/corral/pipeline/process"
)

// schedSource is a source with no goroutines, whose scheduling functions
// the tests call one by one, at the clock now.
func schedSource(t *testing.T, now time.Time) *Source {
	s := &Source{
		byPath:    map[string]*tailer{},
		tailers:   map[fileKey]*tailer{},
		watchedOK: map[string]bool{"/logs": true},
		opts:      Options{Now: func() time.Time { return now }},
		log:       zaptest.NewLogger(t),
		tick:      time.NewTimer(time.Hour),
		tickAt:    now.Add(time.Hour),
	}
	t.Cleanup(func() { s.tick.Stop() })
	return s
}

// schedTailer adds a tailer of path to s, due at next after waiting wait.
func schedTailer(s *Source, path string, ino uint64, wait time.Duration, next time.Time) *tailer {
	t := &tailer{
		src: s, path: path, wait: wait, next: next,
		lines: frame.NewLines(0, 1024, frame.Split),
		proc:  process.Fixed("test", pipeline.Dest{Group: "g", Stream: path}),
	}
	s.byPath[path] = t
	s.tailers[fileKey{Ino: ino}] = t
	return t
}

// A write that comes while a reader holds the file, after the read's end,
// is not left for the next check (up to maxPollWatched away for a quiet
// file): the file is checked again as soon as it is back. If the read had
// data, the file is a steady writer and its next check is minPoll away.
func TestWriteDuringReadChecksAgainAtOnce(t *testing.T) {
	now := time.Now()
	for _, read := range []bool{false, true} {
		s := schedSource(t, now)
		quiet := schedTailer(s, "/logs/quiet.log", 1, maxPollWatched, now.Add(-time.Millisecond))
		s.enqueue(quiet)
		s.queue = s.queue[:0] // a reader took it

		if hush := s.notify(fsnotify.Event{Name: quiet.path, Op: fsnotify.Write}); hush != 0 {
			t.Errorf("a write to a file being read hushes the watcher for %v", hush)
		}
		s.after(result{t: quiet, read: read})
		switch {
		case quiet.woken:
			t.Errorf("read %v: still marked woken after its read", read)
		case !read && (!quiet.queued || len(s.queue) != 1):
			t.Errorf("written during a read that found nothing: queued %v, queue %d; want queued again at once",
				quiet.queued, len(s.queue))
		case read && (quiet.queued || quiet.wait != minPoll || !quiet.next.Equal(now.Add(minPoll))):
			t.Errorf("written during a read that had data: queued %v, next in %v; want checked in %v",
				quiet.queued, quiet.next.Sub(now), minPoll)
		}
	}
}

// A file written steadily is not woken by each write: its next check,
// within minPoll, reads them together, and the watcher is left unread
// until then.
func TestWriteToSteadyWriterWaitsForItsCheck(t *testing.T) {
	now := time.Now()
	s := schedSource(t, now)
	busy := schedTailer(s, "/logs/busy.log", 1, minPoll, now.Add(minPoll/2))

	hush := s.notify(fsnotify.Event{Name: busy.path, Op: fsnotify.Write})
	if busy.queued || !busy.next.Equal(now.Add(minPoll/2)) {
		t.Errorf("steady writer woken by a write: queued %v, next in %v", busy.queued, busy.next.Sub(now))
	}
	if hush != minPoll/2 {
		t.Errorf("watcher hushed for %v, want %v: until the busy file's check", hush, minPoll/2)
	}
}

// When inotify's queue overflows, the writes it dropped are not left to
// each file's poll: every file is checked, and the globs scanned, at once.
func TestQueueOverflowChecksEveryFile(t *testing.T) {
	now := time.Now()
	s := schedSource(t, now)
	quiet := schedTailer(s, "/logs/quiet.log", 1, maxPollWatched, now.Add(maxPollWatched))
	busy := schedTailer(s, "/logs/busy.log", 2, minPoll, now.Add(minPoll/2))
	reading := schedTailer(s, "/logs/reading.log", 3, minPoll, now)
	s.enqueue(reading)
	s.queue = s.queue[:0] // a reader took it

	s.watchError(fsnotify.ErrEventOverflow)
	if !quiet.queued || !busy.queued || len(s.queue) != 2 {
		t.Errorf("after an overflow: quiet queued %v, busy queued %v, queue %d; want both queued",
			quiet.queued, busy.queued, len(s.queue))
	}
	if !reading.woken {
		t.Error("after an overflow the file being read is not marked to be checked again")
	}
	if s.rescan == nil {
		t.Error("after an overflow no scan of the globs is due")
	}
}
