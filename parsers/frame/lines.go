// Package frame turns a stream of bytes into event messages: lines that end
// at '\n' with a trailing '\r' removed, made valid UTF-8, and cut to the
// largest message the sink accepts.
package frame

import (
	"bytes"
	"unicode/utf8"
)

// Oversize says what happens to a line longer than the message limit.
type Oversize int

const (
	// Split ships every byte of a long line, as consecutive events cut on
	// UTF-8 boundaries. Joined in order they give the line back.
	Split Oversize = iota
	// Truncate ships the start of a long line ending with TruncatedMarker
	// and drops the rest.
	Truncate
)

// TruncatedMarker ends every truncated message. It counts toward the limit.
const TruncatedMarker = "...[truncated]"

// Counts are what framing changed, for metrics.
type Counts struct {
	Empty     int64 // empty lines skipped (the service refuses empty messages)
	Split     int64 // lines shipped as more than one event
	Truncated int64 // lines cut short
	Replaced  int64 // events in which invalid UTF-8 or NUL bytes were replaced
}

// Lines frames one input. Feed it consecutive chunks; it calls emit for
// every complete message with the input offset just past the bytes the
// message came from, and skip for input consumed without a message. A
// partial last line is held until more input completes it or Flush is
// called.
//
// The message passed to emit aliases internal memory and is valid only
// during the call.
type Lines struct {
	max      int
	oversize Oversize

	pos     int64  // input offset of the end of everything fed so far
	carry   []byte // the start of an unfinished line
	discard bool   // truncating: drop input until the end of the line
	scratch []byte
	Counts  Counts
}

// NewLines returns a framer for an input read from offset start, emitting
// messages of at most max bytes.
func NewLines(start int64, max int, oversize Oversize) *Lines {
	return &Lines{pos: start, max: max, oversize: oversize}
}

// Pending reports the bytes of an unfinished line held.
func (l *Lines) Pending() int { return len(l.carry) }

// Offset reports the input offset of the end of what was fed.
func (l *Lines) Offset() int64 { return l.pos }

// Feed consumes p, the next bytes of the input.
func (l *Lines) Feed(p []byte, emit func(msg []byte, end int64), skip func(end int64)) {
	start := l.pos
	l.pos += int64(len(p))
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			l.hold(p, emit)
			return
		}
		line := p[:i]
		start += int64(i + 1)
		p = p[i+1:]
		if len(l.carry) > 0 {
			l.carry = append(l.carry, line...)
			line = l.carry
		}
		if l.discard {
			l.discard = false
			l.carry = l.carry[:0]
			skip(start)
			continue
		}
		l.line(line, start, 1, emit, skip)
		l.carry = l.carry[:0]
	}
}

// Flush emits the held partial line, if any, as a message of its own.
func (l *Lines) Flush(emit func(msg []byte, end int64), skip func(end int64)) {
	if len(l.carry) == 0 && !l.discard {
		return
	}
	line := l.carry
	l.carry = l.carry[:0]
	if l.discard {
		l.discard = false
		skip(l.pos)
		return
	}
	l.line(line, l.pos, 0, emit, skip)
}

// Reset drops any held partial line and restarts at offset pos, for an
// input that was truncated or replaced.
func (l *Lines) Reset(pos int64) {
	l.pos = pos
	l.carry = l.carry[:0]
	l.discard = false
}

// hold keeps an unfinished line. Once it grows past the limit its full
// pieces are emitted (split) or its head is emitted and the rest dropped
// (truncate), so memory per input stays bounded by the limit.
func (l *Lines) hold(p []byte, emit func([]byte, int64)) {
	if l.discard {
		return
	}
	l.carry = append(l.carry, p...)
	// Keep a possible trailing '\r' and a cut rune in the carry: the line
	// may still end right after them.
	for len(l.carry) > l.max+utf8.UTFMax {
		start := l.pos - int64(len(l.carry))
		if l.oversize == Truncate {
			l.emitTruncated(l.carry, start, emit)
			l.carry = l.carry[:0]
			l.discard = true
			return
		}
		n := cutPoint(l.carry, l.max)
		l.Counts.Split++
		l.emit(l.carry[:n], start+int64(n), emit)
		l.carry = append(l.carry[:0], l.carry[n:]...)
	}
}

// line emits one complete line that ended at end, followed by a
// terminator of term bytes.
func (l *Lines) line(line []byte, end int64, term int, emit func([]byte, int64), skip func(int64)) {
	start := end - int64(term+len(line))
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if len(line) == 0 {
		l.Counts.Empty++
		skip(end)
		return
	}
	if sanitizedLen(line) <= l.max {
		l.emit(line, end, emit)
		return
	}
	if l.oversize == Truncate {
		l.emitTruncated(line, start, emit)
		skip(end)
		return
	}
	l.Counts.Split++
	for len(line) > 0 {
		n := cutPoint(line, l.max)
		start += int64(n)
		if n == len(line) {
			start = end
		}
		l.emit(line[:n], start, emit)
		line = line[n:]
	}
}

// emitTruncated emits the head of line, which starts at input offset
// start, followed by TruncatedMarker.
func (l *Lines) emitTruncated(line []byte, start int64, emit func([]byte, int64)) {
	l.Counts.Truncated++
	marker := TruncatedMarker
	if l.max < 2*len(marker) {
		marker = "" // a limit this small has no room for it
	}
	n := cutPoint(line, l.max-len(marker))
	l.scratch = appendValid(l.scratch[:0], line[:n], &l.Counts)
	l.scratch = append(l.scratch, marker...)
	emit(l.scratch, start+int64(n))
}

// emit makes msg valid UTF-8 if it is not, and passes it on.
func (l *Lines) emit(msg []byte, end int64, emit func([]byte, int64)) {
	if isClean(msg) {
		emit(msg, end)
		return
	}
	l.scratch = appendValid(l.scratch[:0], msg, &l.Counts)
	emit(l.scratch, end)
}
