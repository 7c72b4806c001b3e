package file

import (
	"errors"
	"path/filepath"
	"syscall"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/fsnotify/fsnotify"
	"go.uber.org/zap"
)

// startWatcher watches the fixed directory at the root of every glob, so
// that new files are found at once and not only at the next scan. Without
// inotify (or past its limits) the source still works by polling.
func (s *Source) startWatcher() {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		s.log.Warn("file watcher unavailable, polling for changes", zap.Error(err))
		return
	}
	s.watcher = w
	for _, p := range s.opts.Paths {
		base, _ := doublestar.SplitPattern(filepath.ToSlash(p))
		s.watch(filepath.FromSlash(base))
	}
}

func (s *Source) closeWatcher() {
	if s.watcher != nil {
		s.watcher.Close()
	}
}

// watch adds dir to the watcher, once. A failure, such as the inotify
// watch limit, is logged once; the directory is then polled.
func (s *Source) watch(dir string) {
	if s.watcher == nil || s.watched[dir] {
		return
	}
	s.watched[dir] = true
	err := errWatchLimit
	if s.opts.MaxWatches == 0 || len(s.watchedOK) < s.opts.MaxWatches {
		err = s.watcher.Add(dir)
	}
	if err != nil {
		if !s.watchFailed {
			s.watchFailed = true
			if errors.Is(err, syscall.ENOSPC) || errors.Is(err, errWatchLimit) {
				// ENOSPC from inotify is its watch limit, not a full disk.
				s.log.Warn("inotify watch limit reached (fs.inotify.max_user_watches): polling this directory and any other beyond the limit",
					zap.String("path", dir))
			} else {
				s.log.Warn("cannot watch directory, polling it", zap.String("path", dir), zap.Error(err))
			}
		}
		return
	}
	s.watchedOK[dir] = true
}

// events and errors return the watcher's channels, or nil ones that never
// deliver when there is no watcher.
func (s *Source) events() <-chan fsnotify.Event {
	if s.watcher == nil {
		return nil
	}
	return s.watcher.Events
}

func (s *Source) errors() <-chan error {
	if s.watcher == nil {
		return nil
	}
	return s.watcher.Errors
}

// notify reacts to a change: a write wakes the file's tailer, anything
// else may mean a new or rotated file, so the globs are scanned again.
//
// A write to a file being written steadily does not wake it: the file is
// due for a check within minPoll anyway, and reads what came by then in
// one go, rather than a few lines at every write of a writer that flushes
// every few milliseconds. notify then returns how long the watcher may be
// left unread, until that check: fsnotify's goroutine waits to hand over
// the next event, and the kernel merges the busy file's further modify
// events into one, so that its writes do not cost a wake-up each either
// (0.6 to 1.4 % of a core at 20,000 lines/s in 100 writes a second).
//
// Limitation: meanwhile a write to another file of the source, or a new
// file, waits too: for one hush, up to minPoll, since after a hush the
// watcher is read freely for hushGap before the next, as long as the Run
// goroutine itself is not held longer (a scan, a save). Many busy files in
// one source can fill inotify's queue meanwhile: see watchError.
//
// A write to a file being read marks it, so that it is checked again as
// soon as that read is done (see after).
func (s *Source) notify(ev fsnotify.Event) (hush time.Duration) {
	if t := s.byPath[ev.Name]; t != nil {
		switch now := s.opts.Now(); {
		case ev.Op == fsnotify.Write && t.busyWriting(now):
			hush = t.next.Sub(now)
		case t.queued:
			t.woken = true
		default:
			s.wakeFile(t)
		}
	}
	if ev.Has(fsnotify.Create) || ev.Has(fsnotify.Rename) || ev.Has(fsnotify.Remove) {
		// Debounced: a burst of new files costs one scan.
		if s.rescan == nil {
			s.rescan = time.After(rescanDelay)
		}
	}
	return hush
}

// watchError handles an error of the watcher. When the kernel's queue
// overflowed (a hush while many files were written, or a burst), some
// writes and new files went unannounced: every file is checked now and
// the globs scanned, rather than leaving them to their polls.
func (s *Source) watchError(err error) {
	if !errors.Is(err, fsnotify.ErrEventOverflow) {
		s.log.Warn("file watcher error, relying on polling", zap.Error(err))
		return
	}
	s.log.Warn("file watcher's queue overflowed: checking every file now", zap.Int("files", len(s.tailers)))
	for _, t := range s.tailers {
		if t.queued {
			t.woken = true
		} else {
			s.wakeFile(t)
		}
	}
	if s.rescan == nil {
		s.rescan = time.After(rescanDelay)
	}
}

// hushGap is how long the watcher is read freely after a hush: time for
// fsnotify's goroutine to hand over what the kernel gathered meanwhile.
const hushGap = 10 * time.Millisecond

// rescanDelay gathers a burst of directory changes into one scan.
const rescanDelay = 20 * time.Millisecond

// errWatchLimit stands for inotify's limit when Options.MaxWatches is hit.
var errWatchLimit = errors.New("watch limit reached")
