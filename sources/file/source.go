// Package file is the file tailer: it finds files by glob, reads each from
// its checkpoint as it grows, follows rotation and truncation, and commits
// a file's position only once every earlier line was delivered.
package file

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/fsnotify/fsnotify"
	"go.uber.org/zap"
	"golang.org/x/sync/semaphore"

	"github.com/corral-logs/corral/parsers/frame"
	"github.com/corral-logs/corral/parsers/multiline"
	"github.com/corral-logs/corral/pipeline"
	"github.com/corral-logs/corral/pipeline/process"
)

// Submitter takes blocks of events; *pipeline.Pipeline is one.
type Submitter interface {
	Submit(ctx context.Context, b *pipeline.Block) error
}

// Options configure a Source. A zero value means the default.
type Options struct {
	// Name identifies the source in metrics, logs and its checkpoint file.
	Name string
	// Paths are absolute doublestar globs ("**" crosses directories).
	// Symlinks are followed; a file reached by two paths is read once.
	Paths []string
	// Exclude drops matches: a pattern without "/" is matched against the
	// base name, one with "/" against the whole path.
	Exclude []string
	// StartAtEnd makes files found at the first scan without a checkpoint
	// start at their end. Files that appear later are always read from
	// their start.
	StartAtEnd bool
	// Process returns the processing of the file at path: its parser,
	// filters, redaction, format and routing.
	Process func(path string) *process.Processor
	// MaxEventBytes is the longest message; longer lines are cut.
	// Default pipeline.MaxEventBytes.
	MaxEventBytes int
	// Oversize says how long lines are cut.
	Oversize frame.Oversize
	// NoMarkers leaves frame.SplitMarker and frame.TruncatedMarker out of
	// cut lines.
	NoMarkers bool
	// Encoding is the files' text encoding. Default UTF-8.
	Encoding frame.Encoding
	// Multiline, when set, groups lines into events; MultilineTimeout is
	// how long an open event waits for more lines (default 1 s). Its
	// MaxBytes, when set, is also the framing limit.
	Multiline        *multiline.Rule
	MultilineTimeout time.Duration
	// PartialLineTimeout is how long a last line without newline waits
	// for the rest before it ships on its own. Default 5 s.
	PartialLineTimeout time.Duration
	// StateDir holds the checkpoint file.
	StateDir string
	// ScanInterval is the time between globbing for new files. Default 1 s.
	ScanInterval time.Duration
	// ForgetAfter is how long the checkpoint of a file that no scan finds
	// any more is kept. Default 24 h.
	ForgetAfter time.Duration
	// MaxWatches caps the directories watched with inotify, as the host's
	// fs.inotify.max_user_watches does; beyond it directories are polled.
	// Default 0: no cap but the host's.
	MaxWatches int
	// MaxOpenFiles caps the descriptors the source holds. Files beyond it
	// are read in turns: an idle file's descriptor is closed for one that
	// has data. Default 1024.
	MaxOpenFiles int
	// Pipeline takes the events.
	Pipeline Submitter
	// Log receives the source's logs. Default: none.
	Log *zap.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Defaults for Options.
const (
	DefaultPartialLineTimeout = 5 * time.Second
	DefaultScanInterval       = time.Second
	DefaultForgetAfter        = 24 * time.Hour
	DefaultMaxOpenFiles       = 1024
	DefaultMultilineTimeout   = time.Second
	// maxOrphans bounds the replaced files remembered for adopt.
	maxOrphans = 1024
	// readers is how many files are read at once. Reading is cheap next
	// to delivery; more readers would only contend for the budget.
	readers = 2
	// checkpointInterval is how often committed positions are saved when
	// they moved; a crash re-sends at most what was delivered in that time.
	checkpointInterval = 200 * time.Millisecond
)

// Stats counts what a file source changed or skipped, for metrics.
type Stats struct {
	Empty     atomic.Int64 // empty lines skipped
	Split     atomic.Int64 // lines shipped as several events
	Truncated atomic.Int64 // lines cut short
	Replaced  atomic.Int64 // events with invalid UTF-8 or NUL replaced
	Files     atomic.Int64 // files followed now
	Open      atomic.Int64 // descriptors held now
}

// Source tails the files that match its globs.
type Source struct {
	opts  Options
	log   *zap.Logger
	cps   *checkpoints
	Stats Stats

	fds       *semaphore.Weighted // one unit per open descriptor
	needFD    chan struct{}       // a reader waits for a descriptor
	fdWaiting atomic.Int32        // readers waiting for a descriptor
	work      chan *tailer        // to the readers
	serviced  chan result         // from the readers

	// Owned by the Run goroutine:
	tailers     map[fileKey]*tailer
	byPath      map[string]*tailer
	queue       []*tailer         // due for service, not yet taken by a reader
	compressed  map[fileKey]bool  // compressed files skipped or read through
	orphans     []*entry          // entries of files replaced in place, for adopt
	saveAfter   time.Time         // no periodic save before then
	fdWant      bool              // close the next file that goes idle
	warned      map[string]string // path -> the problem last logged for it
	watched     map[string]bool   // directories given to the watcher
	watchedOK   map[string]bool   // directories the watcher accepted
	watchFailed bool              // a watch failed; said once
	ready       chan struct{}     // closed after the first scan
	watcher     *fsnotify.Watcher
	rescan      <-chan time.Time // a scan due soon after a directory changed
	tick        *time.Timer      // fires when the next file is due for a check
	tickAt      time.Time        // when tick fires
	wg          sync.WaitGroup   // the readers
}

// New returns a source, with its checkpoints loaded. A corrupt checkpoint
// file is logged and treated as empty.
func New(opts Options) (*Source, error) {
	if opts.MaxEventBytes <= 0 {
		opts.MaxEventBytes = pipeline.MaxEventBytes
	}
	if opts.PartialLineTimeout <= 0 {
		opts.PartialLineTimeout = DefaultPartialLineTimeout
	}
	if opts.ScanInterval <= 0 {
		opts.ScanInterval = DefaultScanInterval
	}
	if opts.ForgetAfter <= 0 {
		opts.ForgetAfter = DefaultForgetAfter
	}
	if opts.MultilineTimeout <= 0 {
		opts.MultilineTimeout = DefaultMultilineTimeout
	}
	if opts.MaxOpenFiles <= 0 {
		opts.MaxOpenFiles = DefaultMaxOpenFiles
	}
	if opts.Log == nil {
		opts.Log = zap.NewNop()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	for _, p := range append(append([]string(nil), opts.Paths...), opts.Exclude...) {
		if !doublestar.ValidatePathPattern(p) {
			return nil, fmt.Errorf("source %s: invalid pattern %q", opts.Name, p)
		}
	}
	log := opts.Log.With(zap.String("source", opts.Name))
	path := filepath.Join(opts.StateDir, "file-"+sanitizeName(opts.Name)+".json")
	cps, err := loadCheckpoints(path)
	if err != nil {
		log.Warn("checkpoints unusable, starting without them", zap.String("path", path), zap.Error(err))
	}
	return &Source{
		opts:       opts,
		log:        log,
		cps:        cps,
		tailers:    make(map[fileKey]*tailer),
		byPath:     make(map[string]*tailer),
		warned:     make(map[string]string),
		watched:    make(map[string]bool),
		watchedOK:  make(map[string]bool),
		compressed: make(map[fileKey]bool),
		ready:      make(chan struct{}),
		fds:        semaphore.NewWeighted(int64(heldFDs(opts.MaxOpenFiles))),
		needFD:     make(chan struct{}, 1),
		work:       make(chan *tailer),
		serviced:   make(chan result),
	}, nil
}

// Run finds and tails files until ctx ends, then waits for its readers to
// stop and saves the positions committed so far. Call Commit after the
// pipeline has drained to save the final ones.
func (s *Source) Run(ctx context.Context) error {
	s.startWatcher()
	defer s.closeWatcher()
	for range readers {
		s.wg.Add(1)
		go s.reader(ctx)
	}

	s.scan(ctx, true)
	close(s.ready)
	scan := time.NewTicker(s.opts.ScanInterval)
	defer scan.Stop()
	save := time.NewTicker(checkpointInterval)
	defer save.Stop()
	s.tick = time.NewTimer(minPoll)
	s.tickAt = s.opts.Now().Add(minPoll)
	defer s.tick.Stop()
	// While hushed, the watcher's events are not read: see notify.
	hush := time.NewTimer(time.Hour)
	hush.Stop()
	hushed := false
	var calmUntil time.Time // no new hush before then

	for {
		var work chan<- *tailer
		var next *tailer
		if len(s.queue) > 0 {
			work, next = s.work, s.queue[0]
		}
		events := s.events()
		if hushed {
			events = nil
		}
		select {
		case <-ctx.Done():
			return s.stop()
		case work <- next:
			next.busy = true
			s.queue[0] = nil
			s.queue = s.queue[1:]
		case r := <-s.serviced:
			s.after(r)
		case <-s.tick.C:
			s.due(s.opts.Now())
		case <-s.needFD:
			s.freeFD()
		case <-scan.C:
			s.scan(ctx, false)
		case now := <-save.C:
			// A large state is saved less often: a second per MiB written,
			// so that one busy file among thousands does not rewrite the
			// whole state five times a second.
			if now.Before(s.saveAfter) {
				continue
			}
			if err := s.Commit(); err != nil {
				s.log.Error("save checkpoints", zap.Error(err))
			}
			s.saveAfter = now.Add(time.Duration(len(s.cps.saved)) * time.Second / (1 << 20))
		case ev := <-events:
			if d := s.notify(ev); d > 0 && time.Now().After(calmUntil) {
				hushed = true
				hush.Reset(d)
			}
		case <-hush.C:
			// What the kernel gathered meanwhile is read before another
			// hush, so that another file's write waits for one at most.
			hushed = false
			calmUntil = time.Now().Add(hushGap) // the hush's clock: timers run on real time
		case <-s.rescan:
			s.rescan = nil
			s.scan(ctx, false)
		case err := <-s.errors():
			s.watchError(err)
		}
	}
}

// Ready is closed once the first scan has started tailing every file
// that matched.
func (s *Source) Ready() <-chan struct{} { return s.ready }

// Commit saves the positions committed so far. It must not run
// concurrently with Run.
func (s *Source) Commit() error {
	return s.cps.save(s.opts.Now().Add(-s.opts.ForgetAfter))
}

// stop waits for the readers to finish what they are doing, closes every
// file and saves checkpoints.
func (s *Source) stop() error {
	close(s.work)
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	for {
		select {
		case r := <-s.serviced:
			r.t.queued, r.t.busy = false, false
		case <-done:
			for _, t := range s.tailers {
				t.finishEvent()
				t.close()
			}
			return s.Commit()
		}
	}
}

// scan globs every pattern and starts a tailer for each new file.
func (s *Source) scan(ctx context.Context, startup bool) {
	now := s.opts.Now()
	seen := make(map[fileKey]bool)
	for _, pattern := range s.opts.Paths {
		named := namesCompressed(pattern)
		matches, err := doublestar.FilepathGlob(pattern, doublestar.WithFilesOnly(), doublestar.WithFailOnIOErrors())
		if err != nil {
			// A directory we cannot list is reported, then globbed leniently.
			s.warnOnce(pattern, err)
			matches, _ = doublestar.FilepathGlob(pattern, doublestar.WithFilesOnly())
		}
		for _, path := range matches {
			if t := s.byPath[path]; t != nil {
				// Followed already; its tailer notices when the path moves
				// on to another file, and a rescan follows.
				seen[t.key] = true
				if e := s.cps.entries[t.key]; e != nil {
					e.Seen = now
				}
				continue
			}
			if s.excluded(path) {
				continue
			}
			st, err := os.Stat(path)
			if err != nil || !st.Mode().IsRegular() {
				continue
			}
			key := keyOf(st)
			if seen[key] {
				continue // a second path to a file already handled
			}
			seen[key] = true
			if e := s.cps.entries[key]; e != nil {
				e.Seen = now
			}
			if _, ok := s.tailers[key]; ok || s.compressed[key] {
				continue
			}
			if old := s.byPath[path]; old != nil {
				// The path was rotated: finish the old file first, so that a
				// stream's events keep their order. retire scans again.
				s.wakeFile(old)
				continue
			}
			if err := s.start(ctx, path, key, startup, named); err != nil {
				s.warnOnce(path, err)
				continue
			}
			delete(s.warned, path)
		}
	}
	for k := range s.compressed {
		if !seen[k] {
			delete(s.compressed, k) // gone: forget it
		}
	}
}

// start opens path and starts its tailer at the right offset: the saved
// one if the file is the one that was saved, else its start (or its end,
// at the first scan, with StartAtEnd).
func (s *Source) start(ctx context.Context, path string, key fileKey, startup, named bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil || keyOf(st) != key {
		f.Close()
		return fmt.Errorf("file changed while opening: %v", err)
	}
	size := st.Size()
	format := compression(f)
	if format != "" && !named {
		// Rotated and compressed: its lines were read before it was
		// compressed, so it is skipped (and remembered, so as not to open
		// it at every scan) unless a path names compressed files.
		f.Close()
		s.compressed[key] = true
		s.log.Info("skipping compressed file", zap.String("path", path), zap.String("reason", format))
		return nil
	}

	e := s.cps.entries[key]
	if e == nil {
		e = s.adopt(f, size, key)
	}
	var offset int64
	switch {
	case e != nil && e.fingerprint.matches(f, size):
		offset = e.Offset
		if e.tracker != nil {
			offset = e.readTo // read on from where the last tailer stopped
		}
		if offset > size {
			s.log.Info("file shorter than its checkpoint, reading from its start",
				zap.String("path", path), zap.Int64("offset", offset))
			offset = 0
		}
	case startup && s.opts.StartAtEnd && e == nil:
		offset = size
	}
	if e == nil || !e.fingerprint.matches(f, size) {
		if e != nil && e.tailer == nil && e.fingerprint.Len > 0 {
			// Replaced or truncated: its copy may turn up (adopt).
			if len(s.orphans) == maxOrphans {
				s.orphans = s.orphans[1:]
			}
			s.orphans = append(s.orphans, e)
		}
		e = &entry{Key: key}
		s.cps.entries[key] = e
	}
	fp, err := readFingerprint(f, size)
	if err != nil {
		f.Close()
		return fmt.Errorf("fingerprint: %w", err)
	}
	if e.tracker == nil || offset != e.readTo {
		e.tracker = pipeline.NewTracker(pipeline.Position{Offset: offset})
	}
	e.Path, e.fingerprint, e.Seen = path, fp, s.opts.Now()

	var z io.Reader
	if format != "" {
		// A compressed file a path names: read once, decompressed, its
		// offsets counting decompressed bytes. It keeps its descriptor
		// while it is read, so it waits for a free one.
		if !s.tryAcquireFD() {
			f.Close()
			return nil // the next scan tries again
		}
		if z, err = decompress(f, format, offset); err != nil {
			f.Close()
			s.releaseFD()
			return err
		}
	} else if _, err := f.Seek(offset, io.SeekStart); err != nil {
		f.Close()
		return fmt.Errorf("seek: %w", err)
	}
	if z == nil && !s.tryAcquireFD() {
		// At max_open_files: the file is read in turns, opened when due.
		f.Close()
		f = nil
	}
	t := newTailer(s, key, path, f, offset, fp, e.tracker)
	t.z = z
	e.tailer = t
	s.tailers[key] = t
	s.Stats.Files.Add(1)
	s.byPath[path] = t
	s.watch(filepath.Dir(path))
	s.log.Debug("tailing file", zap.String("path", path), zap.Int64("offset", offset))
	s.enqueue(t)
	return nil
}

// retire forgets a finished tailer. Its entry keeps the tracker until its
// last events are acknowledged, and where it stopped reading.
func (s *Source) retire(t *tailer) {
	t.close()
	delete(s.tailers, t.key)
	s.Stats.Files.Add(-1)
	if t.z != nil {
		s.compressed[t.key] = true // read through: not again in this run
	}
	if s.byPath[t.path] == t {
		delete(s.byPath, t.path)
	}
	if e := s.cps.entries[t.key]; e != nil && e.tailer == t {
		e.tailer = nil
		e.fingerprint = t.fingerprint()
		e.readTo = t.tracked
	}
	if s.rescan == nil {
		s.rescan = time.After(0) // a file may be waiting for its path
	}
}

// excluded reports whether path matches an exclude pattern.
func (s *Source) excluded(path string) bool {
	base := filepath.Base(path)
	for _, p := range s.opts.Exclude {
		name := path
		if !strings.Contains(p, "/") {
			name = base
		}
		if ok, _ := doublestar.Match(p, name); ok {
			return true
		}
	}
	return false
}

// warnOnce logs a problem with path once, until it changes or goes away.
func (s *Source) warnOnce(path string, err error) {
	msg := err.Error()
	if s.warned[path] == msg {
		return
	}
	s.warned[path] = msg
	s.log.Warn("cannot read file, will retry", zap.String("path", path), zap.Error(err))
}

// sanitizeName makes a source name safe as part of a file name.
func sanitizeName(name string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == os.PathSeparator || r == 0 {
			return '_'
		}
		return r
	}, name)
}
