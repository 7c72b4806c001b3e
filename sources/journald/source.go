// Package journald reads the systemd journal by following the output of
// journalctl, with no cgo: each journal entry is one event, and the
// journal cursor of the last delivered entry is the source's checkpoint.
//
// It needs journalctl with --output-fields (systemd PR 7181, merged in
// October 2017: systemd 236 or later).
package journald

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/corral-logs/corral/internal/retry"
	"github.com/corral-logs/corral/parsers/frame"
	"github.com/corral-logs/corral/pipeline"
	"github.com/corral-logs/corral/pipeline/process"
)

// Submitter takes blocks of events; *pipeline.Pipeline is one.
type Submitter interface {
	Submit(ctx context.Context, b *pipeline.Block) error
}

// Options configure a Source. A zero value means the default.
type Options struct {
	// Name identifies the source in metrics, logs and its checkpoint file,
	// journald-<Name>.json in StateDir.
	Name string
	// Journalctl is the journalctl binary, a path or a name looked up in
	// PATH. Default "journalctl".
	Journalctl string
	// Directory is a journal directory to read instead of the system's.
	Directory string
	// Units limits reading to what `journalctl -u` shows for these units:
	// their own messages, systemd's about them and their core dumps. A
	// name without a unit type gets ".service". Default: every entry.
	Units []string
	// IncludeKernel adds kernel messages to the units' when Units is set.
	IncludeKernel bool
	// Priority is the least important priority read, a name or a digit as
	// journalctl -p takes it. Default: all.
	Priority string
	// Process returns the processing of entries with the given metadata:
	// parsing, filters, redaction, format and routing.
	Process func(Meta) *process.Processor
	// MaxEventBytes is the longest message; longer ones are cut.
	// Default pipeline.MaxEventBytes.
	MaxEventBytes int
	// Oversize says how long messages are cut.
	Oversize frame.Oversize
	// NoMarkers leaves frame.SplitMarker and frame.TruncatedMarker out of
	// cut messages.
	NoMarkers bool
	// StateDir holds the checkpoint file.
	StateDir string
	// Pipeline takes the events.
	Pipeline Submitter
	// Retry paces restarts of journalctl. Default: retry's defaults.
	Retry retry.Policy
	// Log receives the source's logs. Default: none.
	Log *zap.Logger
	// Now is the clock, for entries without a timestamp. Default time.Now.
	Now func() time.Time
}

// Defaults and limits.
const (
	DefaultJournalctl = "journalctl"
	// blockBytes is about how many message bytes one block carries: big
	// enough that per-block costs vanish, small enough to reach the sink
	// soon while journalctl is reading a backlog.
	blockBytes = 128 << 10
	// maxLineBytes caps one entry's JSON line, so memory stays bounded
	// whatever a journal holds. A 1 MiB message takes up to 4 MiB as a
	// byte array.
	//
	// Limitation: an entry whose JSON line is longer is skipped, counted
	// in Stats.TooLarge and logged once, not cut like a long message: its
	// MESSAGE cannot be decoded without holding the whole line.
	maxLineBytes = 4 << 20
	// checkpointInterval is how often the committed cursor is saved when it
	// moved; a crash re-sends at most what was delivered in that time.
	checkpointInterval = 200 * time.Millisecond
	// stderrBytes is how much of journalctl's stderr is kept for the log.
	stderrBytes = 2048
)

// Stats counts what the source read and skipped, for metrics.
type Stats struct {
	Entries   atomic.Int64 // journal entries read
	Events    atomic.Int64 // events handed to the pipeline
	Empty     atomic.Int64 // entries skipped because MESSAGE is empty or missing
	Invalid   atomic.Int64 // lines skipped because they are not a JSON journal entry
	TooLarge  atomic.Int64 // entries skipped because their JSON exceeds maxLineBytes
	Split     atomic.Int64 // messages shipped as several events
	Truncated atomic.Int64 // messages cut short
	Replaced  atomic.Int64 // messages whose invalid UTF-8 or NUL bytes were replaced
	Restarts  atomic.Int64 // times journalctl was started again after it stopped
}

// Source follows the journal through journalctl.
type Source struct {
	opts    Options
	log     *zap.Logger
	units   []string
	cp      *checkpoint
	tracker *pipeline.Tracker
	Stats   Stats

	// Owned by the Run goroutine:
	readPos       pipeline.Position // end of the last group handed to the tracker
	skip          string            // the resume cursor, whose entry journalctl shows first
	long          []byte            // a line longer than the read buffer
	group         pipeline.Group    // entries read together
	cursor        string            // of the last entry read into group
	procs         map[Meta]*process.Processor
	failing       bool // journalctl stopped, and has not shown an entry since
	warnedInvalid bool
	warnedLarge   bool
	warnedSave    bool
}

// New returns a source with its checkpoint loaded. A corrupt checkpoint is
// logged and ignored. A unit name no unit can have is an error.
func New(opts Options) (*Source, error) {
	if opts.Journalctl == "" {
		opts.Journalctl = DefaultJournalctl
	}
	if opts.MaxEventBytes <= 0 {
		opts.MaxEventBytes = pipeline.MaxEventBytes
	}
	if opts.Log == nil {
		opts.Log = zap.NewNop()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Source{
		opts:  opts,
		log:   opts.Log.With(zap.String("source", opts.Name)),
		procs: make(map[Meta]*process.Processor),
	}
	for _, u := range opts.Units {
		name, err := unitName(u)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", opts.Name, err)
		}
		s.units = append(s.units, name)
	}
	path := filepath.Join(opts.StateDir, "journald-"+sanitizeName(opts.Name)+".json")
	cp, err := loadCheckpoint(path)
	if err != nil {
		s.log.Warn("checkpoint unusable, reading the journal from the start of the latest boot",
			zap.String("path", path), zap.Error(err))
	}
	s.cp = cp
	s.readPos = pipeline.Position{Cursor: cp.cursor()}
	s.tracker = pipeline.NewTracker(s.readPos)
	return s, nil
}

// Run follows the journal until ctx ends, restarting journalctl with
// backoff whenever it stops, then stops journalctl, waits for it and saves
// the cursor committed so far. Call Commit after the pipeline has drained
// to save the final one.
func (s *Source) Run(ctx context.Context) error {
	saveCtx, stopSaving := context.WithCancel(ctx)
	saved := make(chan struct{})
	go func() {
		defer close(saved)
		s.saveEvery(saveCtx)
	}()
	defer func() {
		stopSaving()
		<-saved
	}()

	from := "from its checkpoint"
	if s.readPos.Cursor == "" {
		from = "from the start of the latest boot"
	}
	s.log.Info("reading the journal "+from, zap.String("path", s.journalName()))
	backoff := retry.NewBackoff(s.opts.Retry)
	caughtUp := false
	for {
		// Resuming from a cursor, read up to the end first (see args).
		follow := s.readPos.Cursor == "" || caughtUp
		read, err := s.run(ctx, follow)
		if ctx.Err() != nil || errors.Is(err, pipeline.ErrClosed) {
			break
		}
		if !follow && err == nil {
			caughtUp = true
			continue
		}
		caughtUp = false
		if read {
			backoff.Reset()
		}
		delay := backoff.Next(err)
		if !s.failing {
			s.failing = true
			s.log.Warn("journalctl stopped, restarting it",
				zap.Error(err), zap.Duration("delay", delay))
		} else {
			s.log.Debug("journalctl stopped again",
				zap.Error(err), zap.Int("attempt", backoff.Attempt()))
		}
		if retry.Sleep(ctx, delay) != nil {
			break
		}
		s.Stats.Restarts.Add(1)
	}
	return s.Commit()
}

// Commit saves the cursor committed so far. It is safe to call at any
// time.
func (s *Source) Commit() error {
	return s.cp.save(s.tracker.Committed().Cursor)
}

// saveEvery saves the committed cursor every checkpointInterval until ctx
// ends.
func (s *Source) saveEvery(ctx context.Context) {
	tick := time.NewTicker(checkpointInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := s.Commit(); err != nil && !s.warnedSave {
				s.warnedSave = true
				s.log.Error("save checkpoint", zap.Error(err))
			}
		}
	}
}

// run runs journalctl once, from where the last run stopped reading, and
// reads its entries until it exits or ctx ends. It reports whether it read
// any entry, and why journalctl stopped: nil only when it read to the end
// of the journal without follow.
func (s *Source) run(ctx context.Context, follow bool) (bool, error) {
	s.skip = s.readPos.Cursor
	cmd := exec.CommandContext(ctx, s.opts.Journalctl, s.args(s.readPos.Cursor, follow)...)
	stderr := &lastBytes{max: stderrBytes}
	cmd.Stderr = stderr
	cmd.WaitDelay = time.Second
	setParentDeath(cmd)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return false, fmt.Errorf("start journalctl: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return false, fmt.Errorf("start journalctl: %w", err)
	}

	before := s.Stats.Entries.Load()
	readErr := s.read(ctx, stdout) // io.EOF once journalctl closed its output
	if !errors.Is(readErr, io.EOF) {
		_ = cmd.Process.Kill() // reading stopped first: stop journalctl too
	}
	waitErr := cmd.Wait()
	read := s.Stats.Entries.Load() > before

	switch {
	case !errors.Is(readErr, io.EOF):
		return read, readErr
	case waitErr != nil:
		return read, fmt.Errorf("journalctl: %w: %s", waitErr, stderr)
	case follow:
		return read, fmt.Errorf("journalctl exited: %s", stderr)
	}
	return read, nil
}

// read reads journalctl's output until it ends (io.EOF) or handing over
// fails, handing each group of entries read together to the pipeline as
// blocks. It never returns nil.
func (s *Source) read(ctx context.Context, r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := s.readLine(br)
		switch {
		case err == nil:
			s.handle(line)
		case errors.Is(err, errLineTooLong):
			s.Stats.TooLarge.Add(1)
			if !s.warnedLarge {
				s.warnedLarge = true
				s.log.Warn("journal entry too large, skipping it", zap.Int("bytes", maxLineBytes))
			}
		default:
			if ferr := s.flush(ctx); ferr != nil {
				return ferr
			}
			return err
		}
		// Hand over what was read before reading blocks, or when it is big.
		if s.group.Bytes() >= blockBytes || !lineBuffered(br) {
			if err := s.flush(ctx); err != nil {
				return err
			}
		}
	}
}

// errLineTooLong reports a line longer than maxLineBytes, consumed whole.
var errLineTooLong = errors.New("line too long")

// readLine returns the next line without its '\n'. The line aliases memory
// that the next call reuses. A line longer than maxLineBytes is consumed
// and reported as errLineTooLong. At the end of the input a last line
// without '\n', cut off when journalctl stopped, is dropped: its entry is
// read again from the cursor.
func (s *Source) readLine(br *bufio.Reader) ([]byte, error) {
	if cap(s.long) > 1<<20 {
		s.long = nil // do not pin the memory of one huge entry
	}
	s.long = s.long[:0]
	tooLong := false
	for {
		chunk, err := br.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return nil, err
		}
		n := len(s.long) + len(chunk) // the line's length so far
		if err == nil {
			n-- // without its '\n'
		}
		if n > maxLineBytes {
			tooLong, s.long = true, s.long[:0]
		}
		switch {
		case err != nil: // the line goes on; one too long is dropped
			if !tooLong {
				s.long = append(s.long, chunk...)
			}
		case tooLong:
			return nil, errLineTooLong
		case len(s.long) == 0:
			return chunk[:len(chunk)-1], nil
		default:
			s.long = append(s.long, chunk...)
			return s.long[:len(s.long)-1], nil
		}
	}
}

// lineBuffered reports whether br holds a whole line, so that reading it
// does not wait for journalctl.
func lineBuffered(br *bufio.Reader) bool {
	buffered, _ := br.Peek(br.Buffered())
	return bytes.IndexByte(buffered, '\n') >= 0
}

// handle decodes one line and adds its events to the group.
func (s *Source) handle(line []byte) {
	e, err := decodeEntry(line)
	if err != nil {
		s.Stats.Invalid.Add(1)
		if !s.warnedInvalid {
			s.warnedInvalid = true
			s.log.Warn("journalctl printed a line that is not a journal entry, skipping it",
				zap.Error(err), zap.Int("bytes", len(line)))
		}
		return
	}
	if s.skip != "" {
		resume := s.skip
		s.skip = ""
		if e.Cursor == resume {
			return // the checkpointed entry itself, already read
		}
	}
	s.Stats.Entries.Add(1)
	if s.failing {
		s.failing = false
		s.log.Info("journalctl is running again")
	}
	if e.Cursor != "" {
		s.cursor = e.Cursor
	}
	ts := e.Time
	if ts <= 0 {
		ts = s.opts.Now().UnixMilli()
	}
	p := s.processor(e.Meta)
	var c frame.Counts
	add := func(piece []byte) { p.Line(piece, ts, &s.group) }
	frame.Message(e.Message, s.opts.MaxEventBytes, s.opts.Oversize, !s.opts.NoMarkers, &c, add)
	s.count(c)
}

// processor returns the processing of entries with meta m, from a cache:
// expanding templates for every entry would cost more than reading it.
func (s *Source) processor(m Meta) *process.Processor {
	if p, ok := s.procs[m]; ok {
		return p
	}
	if len(s.procs) >= maxProcessors {
		clear(s.procs) // many distinct values: keep the cache bounded
	}
	p := s.opts.Process(m)
	s.procs[m] = p
	return p
}

// maxProcessors bounds the processors kept for distinct entry metadata.
const maxProcessors = 4096

// count adds what framing one message changed to the stats.
func (s *Source) count(c frame.Counts) {
	if c == (frame.Counts{}) {
		return
	}
	s.Stats.Empty.Add(c.Empty)
	s.Stats.Split.Add(c.Split)
	s.Stats.Truncated.Add(c.Truncated)
	s.Stats.Replaced.Add(c.Replaced)
}

// flush hands the group to the pipeline. Its blocks are tracked in read
// order, every one but the last at the position before the group, so the
// group's end is committed only once all of its blocks were delivered.
func (s *Source) flush(ctx context.Context) error {
	g := &s.group
	end := s.readPos
	if s.cursor != "" {
		end = pipeline.Position{Cursor: s.cursor}
	}
	g.Track(s.tracker, s.readPos, end)
	s.readPos = end
	s.cursor = ""
	defer g.Reset()
	for _, b := range g.Blocks() {
		n := b.Len()
		if err := s.opts.Pipeline.Submit(ctx, b); err != nil {
			return err
		}
		s.Stats.Events.Add(int64(n))
	}
	return nil
}

// journalName names the journal read, for logs.
func (s *Source) journalName() string {
	if s.opts.Directory != "" {
		return s.opts.Directory
	}
	return "system journal"
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
