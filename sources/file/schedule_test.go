package file

import (
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
)

// A write that comes while a reader holds the file, after the read's end,
// is not left for the next check (up to maxPoll away for a quiet file):
// the file is checked again as soon as it is back.
func TestWriteDuringReadChecksAgainAtOnce(t *testing.T) {
	s := &Source{byPath: map[string]*tailer{}, opts: Options{Now: time.Now}}
	quiet := &tailer{path: "/logs/quiet.log", wait: maxPoll, next: time.Now().Add(-time.Millisecond)}
	s.byPath[quiet.path] = quiet
	s.enqueue(quiet)
	s.queue = s.queue[:0] // a reader took it

	s.notify(fsnotify.Event{Name: quiet.path, Op: fsnotify.Write})
	s.after(result{t: quiet}) // the read found nothing: it ended before the write
	if !quiet.queued || len(s.queue) != 1 {
		t.Errorf("written during its read: queued %v, queue %d; want it queued again at once", quiet.queued, len(s.queue))
	}
}

// A file written steadily is not woken by each write: its next check,
// within minPoll, reads them together.
func TestWriteToSteadyWriterWaitsForItsCheck(t *testing.T) {
	now := time.Now()
	s := &Source{byPath: map[string]*tailer{}, opts: Options{Now: func() time.Time { return now }}}
	busy := &tailer{path: "/logs/busy.log", wait: minPoll, next: now.Add(minPoll / 2)}
	s.byPath[busy.path] = busy

	s.notify(fsnotify.Event{Name: busy.path, Op: fsnotify.Write})
	if busy.queued || !busy.next.Equal(now.Add(minPoll/2)) {
		t.Errorf("steady writer woken by a write: queued %v, next in %v", busy.queued, busy.next.Sub(now))
	}
}
