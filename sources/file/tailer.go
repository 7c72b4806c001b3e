package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/corral-logs/corral/parsers/frame"
	"github.com/corral-logs/corral/parsers/multiline"
	"github.com/corral-logs/corral/pipeline"
	"github.com/corral-logs/corral/pipeline/process"
)

// Tailing constants. They are not settings: they trade a little latency
// for idle cost and are well inside the promises (a new line is read
// within a second even without inotify).
const (
	// readSize is how much one read takes from a file, and so the most
	// one block holds.
	readSize = 128 << 10
	// readQuantum is how much a reader takes from one file before it
	// serves the others, so that a flooded file does not starve them.
	readQuantum = 4 << 20
	// minPoll and maxPoll bound the wait between checks of an idle file;
	// the wait doubles while the file stays idle. inotify wakes a file's
	// check at once, so a watched file is polled only as a safety net. A
	// file that had data at its last check is checked again after minPoll,
	// and its writes meanwhile do not wake it (see notify): it is read in
	// batches minPoll apart while it is written steadily.
	minPoll        = 200 * time.Millisecond
	maxPoll        = time.Second
	maxPollWatched = 5 * time.Second
	// rotateGrace is how long a file that was renamed or replaced is still
	// read after it was noticed, for writers that finish a line into the
	// old file before they reopen.
	rotateGrace = time.Second
)

// tailer is the state of one file being followed. The Run goroutine
// schedules it; a reader services it; never both at once.
type tailer struct {
	src     *Source
	key     fileKey
	path    string
	f       *os.File  // nil while closed to stay under max_open_files
	z       io.Reader // the decompressed content of a compressed file, read once
	proc    *process.Processor
	lines   *frame.Lines
	group   *multiline.Grouper // nil without multiline
	tracker *pipeline.Tracker

	mu sync.Mutex
	fp fingerprint // guarded by mu: checkpoint saves read it

	lastData  time.Time // when a read last returned bytes
	goneSince time.Time // when the path was first seen to name another file

	// Scheduling, owned by the Run goroutine.
	queued bool          // waiting for a reader, or with one
	busy   bool          // with a reader: only the reader touches the fields above
	woken  bool          // changed while queued: check again once serviced
	next   time.Time     // when the file is due for a check
	wait   time.Duration // the current wait between checks

	// The framer's callbacks fill out; end is the input offset after the
	// last byte a message or skip consumed, short of what the processor
	// holds of a partial event; held is the offset after that.
	out     pipeline.Group
	now     int64
	end     int64
	held    int64
	tracked int64 // the last offset given to the tracker
	counted struct {
		frame.Counts       // framing counts already added to the source's stats
		empty        int64 // empty lines, framing's and grouping's
	}
	emitFn  func([]byte, int64)
	skipFn  func(int64)
	eventFn func([]byte, int64, int64) // the grouper's output
}

func newTailer(s *Source, key fileKey, path string, f *os.File, offset int64, fp fingerprint, tr *pipeline.Tracker) *tailer {
	limit := s.opts.MaxEventBytes
	if m := s.opts.Multiline; m != nil && m.MaxBytes > 0 {
		limit = min(limit, m.MaxBytes)
	}
	t := &tailer{
		src:      s,
		key:      key,
		path:     path,
		f:        f,
		proc:     s.opts.Process(path),
		lines:    frame.NewLines(offset, limit, s.opts.Oversize),
		tracker:  tr,
		fp:       fp,
		lastData: s.opts.Now(),
		end:      offset,
		tracked:  offset,
		wait:     minPoll,
	}
	t.lines.SetEncoding(s.opts.Encoding)
	t.lines.SetMarkers(!s.opts.NoMarkers)
	t.emitFn = t.emit
	t.skipFn = t.consumed
	if s.opts.Multiline != nil {
		t.group = multiline.New(*s.opts.Multiline)
		t.lines.KeepEmpty(true)
		t.eventFn = func(msg []byte, _, end int64) { t.emit(msg, end) }
		t.emitFn = func(line []byte, end int64) { t.group.Add(line, t.now, end, t.eventFn, t.skipFn) }
		t.skipFn = func(end int64) { t.group.Skip(end, t.consumed) }
	}
	return t
}

// fingerprint returns the file's fingerprint as far as it is known.
func (t *tailer) fingerprint() fingerprint {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.fp
}

// result is what one service of a tailer found.
type result struct {
	t    *tailer
	more bool  // stopped at the quantum with data left: serve again soon
	read bool  // bytes were read
	done bool  // the file is finished
	err  error // why it stopped, when it stopped on an error
}

// service reads the file to its end, or one quantum of it, then runs the
// end-of-file checks.
func (t *tailer) service(ctx context.Context) result {
	r := result{t: t}
	if t.f == nil {
		// Closed for max_open_files: a stat tells whether it has news,
		// without spending a descriptor.
		st, err := os.Stat(t.path)
		if err == nil && keyOf(st) == t.key && st.Size() == t.lines.Offset() && t.lines.Pending() == 0 {
			return r
		}
		if err := t.reopen(ctx); err != nil {
			r.done, r.err = true, err
			return r
		}
	}
	if t.z == nil {
		if err := t.checkReplaced(ctx); err != nil {
			r.done, r.err = true, err
			return r
		}
	}
	total := 0
	for total < readQuantum {
		n, err := t.read(ctx)
		if err != nil {
			r.done, r.err = true, err
			return r
		}
		if n == 0 {
			break
		}
		total += n
	}
	r.read = total > 0
	if total >= readQuantum {
		r.more = true
		return r
	}
	if t.z != nil {
		// A compressed file does not grow: at its end it is done.
		r.done, r.err = true, t.flush(ctx)
		return r
	}
	r.done, r.err = t.idle(ctx)
	return r
}

// readBuffers are shared by all readers: only files being read hold one,
// so thousands of idle files cost no buffer memory.
var readBuffers = sync.Pool{New: func() any { return new([readSize]byte) }}

// read reads the next chunk of the file and submits its complete lines.
func (t *tailer) read(ctx context.Context) (int, error) {
	buf := readBuffers.Get().(*[readSize]byte)
	defer readBuffers.Put(buf)
	var r io.Reader = t.f
	if t.z != nil {
		r = t.z
	}
	n, err := r.Read(buf[:])
	if n > 0 {
		t.lastData = t.src.opts.Now()
		t.begin()
		t.lines.Feed(buf[:n], t.emitFn, t.skipFn)
		if err := t.submit(ctx); err != nil {
			return 0, err
		}
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return n, fmt.Errorf("read %s: %w", t.path, err)
	}
	return n, nil
}

// idle runs at the end of the file: it extends the fingerprint, notices
// truncation, ships a partial last line that waited long enough, and
// decides whether the file is finished.
func (t *tailer) idle(ctx context.Context) (done bool, err error) {
	now := t.src.opts.Now()
	st, err := t.f.Stat()
	if err != nil {
		return true, fmt.Errorf("stat %s: %w", t.path, err)
	}
	pos := t.lines.Offset()

	if fp := t.fingerprint(); fp.Len < fingerprintBytes && st.Size() > int64(fp.Len) {
		if fp, err := readFingerprint(t.f, st.Size()); err == nil {
			t.mu.Lock()
			t.fp = fp
			t.mu.Unlock()
		}
	}

	if st.Size() < pos {
		// Truncated in place (copytruncate).
		// Limitation: lines written between the last read and the
		// truncation exist only in the copy, which is a new file to us.
		t.src.log.Info("file truncated, reading from its start",
			zap.String("path", t.path), zap.Int64("offset", pos))
		return false, t.restart(ctx)
	}

	if (t.lines.Pending() > 0 || t.proc.Holding()) && now.Sub(t.lastData) >= t.src.opts.PartialLineTimeout {
		if err := t.flush(ctx); err != nil {
			return true, err
		}
	}
	if t.group != nil && t.group.Open() && now.Sub(t.lastData) >= t.src.opts.MultilineTimeout {
		t.begin()
		t.group.Flush(t.eventFn)
		if err := t.submit(ctx); err != nil {
			return true, err
		}
	}

	// Limitation: a deleted file is held open while the budget blocks its
	// reading (an outage); there is no maximum hold time yet.
	if t.gone(st) {
		if t.goneSince.IsZero() {
			t.goneSince = now
		}
		if now.Sub(t.goneSince) >= rotateGrace || linkCount(st) == 0 {
			return true, t.flush(ctx)
		}
	}
	return false, nil
}

// checkReplaced notices a file overwritten in place, even when it grew
// past the read offset before this look: its first bytes no longer match
// its fingerprint. It then reads the file again from its start.
func (t *tailer) checkReplaced(ctx context.Context) error {
	fp := t.fingerprint()
	if fp.Len == 0 || t.lines.Offset() == 0 {
		return nil
	}
	st, err := t.f.Stat()
	if err != nil {
		return fmt.Errorf("stat %s: %w", t.path, err)
	}
	if fp.matches(t.f, st.Size()) {
		return nil
	}
	t.src.log.Info("file overwritten in place, reading from its start",
		zap.String("path", t.path), zap.Int64("offset", t.lines.Offset()))
	return t.restart(ctx)
}

// restart ships what was held of a partial line and reads the file again
// from its start, after a truncation or an overwrite.
func (t *tailer) restart(ctx context.Context) error {
	if err := t.flush(ctx); err != nil {
		return err
	}
	if _, err := t.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("seek %s: %w", t.path, err)
	}
	t.lines.Reset(0)
	t.tracker.Advance(pipeline.Position{Offset: 0})
	t.end, t.held, t.tracked = 0, 0, 0
	t.mu.Lock()
	t.fp = fingerprint{}
	t.mu.Unlock()
	return nil
}

// flushDue returns when the held partial line or open multiline event is
// due to ship, if there is one.
func (t *tailer) flushDue() (time.Time, bool) {
	var due time.Time
	if t.lines.Pending() > 0 || t.proc.Holding() {
		due = t.lastData.Add(t.src.opts.PartialLineTimeout)
	}
	if t.group != nil && t.group.Open() {
		if d := t.lastData.Add(t.src.opts.MultilineTimeout); due.IsZero() || d.Before(due) {
			due = d
		}
	}
	return due, !due.IsZero()
}

// gone reports whether the file was deleted, or its path now names
// another file (rotation by rename).
func (t *tailer) gone(st os.FileInfo) bool {
	if linkCount(st) == 0 {
		return true
	}
	cur, err := os.Stat(t.path)
	if err != nil {
		return true
	}
	return keyOf(cur) != t.key
}

// reopen opens the file again after its descriptor was closed to stay
// under max_open_files, if its path still names it.
func (t *tailer) reopen(ctx context.Context) error {
	if err := t.src.acquireFD(ctx); err != nil {
		return err
	}
	f, err := os.Open(t.path)
	if err == nil {
		var st os.FileInfo
		if st, err = f.Stat(); err == nil && keyOf(st) != t.key {
			err = errors.New("the path names another file now")
		}
		if err != nil {
			f.Close()
		}
	}
	if err != nil {
		t.src.releaseFD()
		// Limitation: a file rotated away or deleted while its descriptor
		// was closed for max_open_files cannot be read on; what was not
		// read of it is lost. Only files beyond the limit are exposed.
		return fmt.Errorf("reopen %s after closing it for max_open_files: %w", t.path, err)
	}
	if _, err := f.Seek(t.lines.Offset(), io.SeekStart); err != nil {
		f.Close()
		t.src.releaseFD()
		return fmt.Errorf("seek %s: %w", t.path, err)
	}
	t.f = f
	return nil
}

// close releases the descriptor, if open.
func (t *tailer) close() {
	if t.f != nil {
		t.f.Close()
		t.f = nil
		t.src.releaseFD()
	}
}

// flush ships the held partial line, if any, and the open multiline
// event, which it ends.
func (t *tailer) flush(ctx context.Context) error {
	if t.lines.Pending() == 0 && (t.group == nil || !t.group.Open()) && !t.proc.Holding() {
		return nil
	}
	t.begin()
	t.lines.Flush(t.emitFn, t.skipFn)
	if t.group != nil {
		t.group.Flush(t.eventFn)
	}
	if t.proc.Holding() {
		t.proc.Flush(t.now, &t.out)
		t.end = t.held
	}
	return t.submit(ctx)
}

// finishEvent ships the open multiline event at shutdown: its lines are
// complete, so they need not wait for more. A partial last line is not
// shipped; it is read again at the next start.
func (t *tailer) finishEvent() {
	if t.group == nil || !t.group.Open() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), finishTimeout)
	defer cancel()
	t.begin()
	t.group.Flush(t.eventFn)
	if err := t.submit(ctx); err != nil {
		t.src.log.Warn("open multiline event not shipped at shutdown; it is read again at the next start",
			zap.String("path", t.path), zap.Error(err))
	}
}

// finishTimeout bounds the wait for budget room at shutdown.
const finishTimeout = time.Second

// begin starts a new block for the next read. Its events get the read
// time, made strictly later than the previous block's: a file read faster
// than a block a millisecond (a backlog) runs ahead of the clock by a
// little, and in exchange its requests never overlap in time, so they can
// go out in parallel and still be stored in read order.
func (t *tailer) begin() {
	t.now = max(t.src.opts.Now().UnixMilli(), t.now+1)
}

// emit processes one framed event that ends at end.
func (t *tailer) emit(msg []byte, end int64) {
	t.proc.Line(msg, t.now, &t.out)
	t.consumed(end)
}

// consumed records that the input up to end was used. While the
// processor holds part of an event, the committed offset stays before
// it, so that a restart reads the whole event again.
func (t *tailer) consumed(end int64) {
	t.held = end
	if !t.proc.Holding() {
		t.end = end
	}
}

// count adds what framing and grouping changed since the last call to the
// source's stats.
func (t *tailer) count() {
	c := t.lines.Counts
	st := &t.src.Stats
	empty := c.Empty
	if t.group != nil {
		empty += t.group.Counts.Empty
	}
	st.Empty.Add(empty - t.counted.empty)
	st.Split.Add(c.Split - t.counted.Split)
	st.Truncated.Add(c.Truncated - t.counted.Truncated)
	st.Replaced.Add(c.Replaced - t.counted.Replaced)
	t.counted.Counts, t.counted.empty = c, empty
}

// submit registers the blocks of what was read with the tracker, ending
// at the offset the last event ended at, and hands them to the pipeline.
func (t *tailer) submit(ctx context.Context) error {
	t.count()
	if t.out.Len() > 0 || t.end != t.tracked {
		t.out.Track(t.tracker, pipeline.Position{Offset: t.tracked}, pipeline.Position{Offset: t.end})
		t.tracked = t.end
	}
	defer t.out.Reset()
	for _, b := range t.out.Blocks() {
		if err := t.src.opts.Pipeline.Submit(ctx, b); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("submit: %w", err)
		}
	}
	return nil
}

// keyOf returns the identity of the file st describes.
func keyOf(st os.FileInfo) fileKey {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return fileKey{}
	}
	return fileKey{Dev: uint64(sys.Dev), Ino: sys.Ino}
}

// linkCount returns how many names the file has; 0 once it was deleted.
func linkCount(st os.FileInfo) uint64 {
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		return uint64(sys.Nlink)
	}
	return 1
}
