// Package multiline groups framed lines into events, such as a log line
// and the stack trace under it.
//
// Its input is what parsers/frame.Lines emits with KeepEmpty set: complete
// lines without their terminator, valid UTF-8, possibly empty, each with
// the input offset just past it. A Rule decides which lines open an event
// and which continue it:
//
//   - Start and Continue: a line matching Start opens a new event, closing
//     the open one. While an event is open, a line matching Continue (and
//     not Start) is appended to it. Any other line closes the open event
//     and is an event of its own; it opens none, so the lines after it
//     that match Continue are events of their own too.
//   - Start only (the presets): a line matching Start opens a new event,
//     closing the open one. Any other line is appended to the open event,
//     or opens one when none is open, so an input that begins in the
//     middle of a stack trace keeps the rest of the trace together.
//   - Continue only: a line matching Continue is appended to the open
//     event, or opens one when none is open. Any other line opens a new
//     event, closing the open one.
//   - Neither: every line is an event of its own.
//
// Lines of an event are joined with "\n". The event's timestamp is the one
// its first line was read at; its end offset is past the last input it
// consumed.
//
// Empty lines never open or close an event. With an event open, an empty
// line belongs to it (stack traces contain empty lines); with none open,
// it is skipped and counted, because CloudWatch refuses empty messages.
// Empty lines at the end of an event are consumed by the event but left
// out of its message, so a message never ends in "\n"; the event's end
// offset is past them. They are held until the next line shows whether
// they are inside the event (that line is appended) or at its end.
//
// Caps: when appending a line, with the empty lines held before it, would
// make the event more than MaxLines lines or more than MaxBytes bytes,
// the open event is emitted as it is (consuming the held empty lines) and
// the line opens a new event, which later lines may continue as usual. A
// line is never cut: the caller frames lines with a limit of at most
// MaxBytes, so one line always fits. A longer line is an event of its
// own, unchanged.
//
// Every input offset is accounted for once and in order: by an event's
// end, by skip for an empty line outside any event, and by Skip for input
// the framer consumed without a line. So a caller may commit an offset
// once every event ending at or before it was delivered.
//
// A Grouper holds the open event until a line closes it: it has no clock.
// Flushing an event after the multiline timeout passed without a new line
// is the caller's job (the file tailer calls Flush), as is flushing when
// the input ends.
package multiline

import "regexp"

// Rule says how lines are grouped into events.
type Rule struct {
	Start    *regexp.Regexp // a line matching it starts a new event
	Continue *regexp.Regexp // a line matching it continues the open event
	MaxLines int            // cap of lines per event; 0 means no cap
	MaxBytes int            // cap of message bytes per event (lines joined with "\n"); 0 means no cap
}

// Counts are what grouping changed, for metrics.
type Counts struct {
	Empty  int64 // empty lines not shipped: outside any event, or at an event's end
	Capped int64 // events closed early by MaxLines or MaxBytes
}

// releaseBytes is the largest event buffer kept after its event was
// emitted, so that idle inputs do not each hold a full event.
const releaseBytes = 64 << 10

// Grouper groups the lines of one input. It is not safe for concurrent
// use. The message passed to emit aliases its memory and is valid only
// during the call.
type Grouper struct {
	rule Rule

	open  bool
	msg   []byte // the open event's message, without held empty lines
	lines int    // lines in msg
	ts    int64  // when the open event's first line was read (Unix ms)
	end   int64  // input offset past everything the open event consumed
	empty int    // empty lines held at the end of the open event

	Counts Counts
}

// New returns a Grouper for rule r.
func New(r Rule) *Grouper { return &Grouper{rule: r} }

// kind is what a line does to the open event.
type kind int

const (
	opens     kind = iota // closes the open event and opens a new one
	continues             // is appended to the open event, or opens one
	alone                 // closes the open event and is an event of its own
)

// Add takes the next line (which may be empty), read at time ts (Unix ms)
// and ending at input offset end. It calls emit for every event it
// closes: the joined message, the timestamp of the event's first line,
// and the offset just past its last line. skip(end) is called for input
// consumed without an event (an empty line outside any event).
func (g *Grouper) Add(line []byte, ts, end int64,
	emit func(msg []byte, ts, end int64), skip func(end int64)) {
	if len(line) == 0 {
		if g.open {
			g.empty++
			g.end = end
			return
		}
		g.Counts.Empty++
		skip(end)
		return
	}
	switch g.classify(line) {
	case opens:
		g.close(emit)
		g.begin(line, ts, end)
	case continues:
		switch {
		case !g.open:
			g.begin(line, ts, end)
		case g.fits(line):
			g.append(line, end)
		default:
			g.Counts.Capped++
			g.close(emit)
			g.begin(line, ts, end)
		}
	case alone:
		g.close(emit)
		emit(line, ts, end)
	}
}

// Skip accounts for input consumed without a line, such as the dropped
// rest of a truncated line (what frame.Lines passes to skip). With an
// event open the input becomes part of it and the event's end moves past
// it; otherwise skip(end) is called.
func (g *Grouper) Skip(end int64, skip func(end int64)) {
	if g.open {
		g.end = end
		return
	}
	skip(end)
}

// Flush emits the open event, if any.
func (g *Grouper) Flush(emit func(msg []byte, ts, end int64)) { g.close(emit) }

// Open reports whether an event is open: lines are held that only a later
// line or Flush will emit.
func (g *Grouper) Open() bool { return g.open }

// classify tells what the non-empty line does under the rule.
func (g *Grouper) classify(line []byte) kind {
	start, cont := g.rule.Start, g.rule.Continue
	switch {
	case start != nil && start.Match(line):
		return opens
	case start != nil && cont != nil:
		if g.open && cont.Match(line) {
			return continues
		}
		return alone
	case start != nil:
		return continues
	case cont != nil && cont.Match(line):
		return continues
	case cont != nil:
		return opens
	}
	return alone
}

// fits reports whether line, after the held empty lines, stays within the
// caps of the open event.
func (g *Grouper) fits(line []byte) bool {
	r := g.rule
	if r.MaxLines > 0 && g.lines+g.empty+1 > r.MaxLines {
		return false
	}
	return r.MaxBytes <= 0 || len(g.msg)+g.empty+1+len(line) <= r.MaxBytes
}

// begin opens an event with line.
func (g *Grouper) begin(line []byte, ts, end int64) {
	g.open = true
	g.msg = append(g.msg[:0], line...)
	g.lines = 1
	g.ts = ts
	g.end = end
}

// append adds the held empty lines and line to the open event.
func (g *Grouper) append(line []byte, end int64) {
	for range g.empty + 1 {
		g.msg = append(g.msg, '\n')
	}
	g.msg = append(g.msg, line...)
	g.lines += g.empty + 1
	g.empty = 0
	g.end = end
}

// close emits the open event, if any; its held empty lines are consumed
// without being shipped.
func (g *Grouper) close(emit func([]byte, int64, int64)) {
	if !g.open {
		return
	}
	emit(g.msg, g.ts, g.end)
	g.Counts.Empty += int64(g.empty)
	g.open = false
	g.lines, g.empty = 0, 0
	g.msg = g.msg[:0]
	if cap(g.msg) > releaseBytes {
		g.msg = nil
	}
}
