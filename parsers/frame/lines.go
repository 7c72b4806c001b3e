// Package frame turns a stream of bytes into event messages: lines that end
// at '\n' with a trailing '\r' removed, made valid UTF-8, and cut to the
// largest message the sink accepts.
//
// Input in Latin-1 or UTF-16 is decoded to UTF-8 before it is cut, so the
// limit applies to the UTF-8 message; every offset passed to emit and
// skip is still an offset in the raw input, where a checkpoint resumes.
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

// TruncatedMarker ends every truncated message, and SplitMarker every
// piece of a split line but the last, so that a reader sees the event goes
// on. Both count toward the limit. SetMarkers(false) leaves them out, for
// exact bytes.
const (
	TruncatedMarker = "...[truncated]"
	SplitMarker     = "...[continued]"
)

// Counts are what framing changed, for metrics.
type Counts struct {
	Empty     int64 // empty lines skipped (the service refuses empty messages)
	Split     int64 // lines shipped as more than one event
	Truncated int64 // lines cut short
	Replaced  int64 // events in which invalid input or NUL bytes were replaced
}

// Lines frames one input. Feed it consecutive chunks; it calls emit for
// every complete message with the input offset just past the bytes the
// message came from, and skip for input consumed without a message: an
// empty line (unless KeepEmpty is set), the dropped rest of a truncated
// line. A partial last line is held until more input completes it or
// Flush is called. Offsets are offsets in the raw input whatever its
// encoding; for UTF-16 they always fall on a unit boundary.
//
// The message passed to emit aliases internal memory and is valid only
// during the call.
type Lines struct {
	max       int
	oversize  Oversize
	enc       Encoding
	keepEmpty bool
	noMarkers bool // SetMarkers(false)

	pos       int64  // raw input offset of the end of everything fed so far
	next      int64  // raw input offset where the unfinished line starts
	carry     []byte // the unfinished line, decoded
	tail      []byte // raw bytes of a character cut by the end of a chunk (UTF-16)
	align     bool   // UTF-16 read from an odd offset: drop the first byte
	bom       bool   // UTF-16 read from offset 0: drop a byte order mark
	discard   bool   // truncating: drop input until the end of the line
	splitting bool   // pieces of the unfinished line were emitted
	scratch   []byte
	Counts    Counts
}

// NewLines returns a framer for a UTF-8 input read from offset start,
// emitting messages of at most max bytes and skipping empty lines.
func NewLines(start int64, max int, oversize Oversize) *Lines {
	l := &Lines{max: max, oversize: oversize}
	l.Reset(start)
	return l
}

// KeepEmpty sets whether empty lines are passed to emit as empty messages
// (for multiline grouping, where they may belong to an event) instead of
// to skip. The default is false. A line that is empty only after the
// pieces of a long line were emitted is still skipped.
func (l *Lines) KeepEmpty(keep bool) { l.keepEmpty = keep }

// SetEncoding sets the input's encoding (the default is UTF8) and
// restarts framing at the current offset, dropping any held partial line.
// Call it before the first Feed.
func (l *Lines) SetEncoding(e Encoding) {
	l.enc = e
	l.Reset(l.pos)
}

// Pending reports the bytes of an unfinished line held, which Flush
// would ship.
func (l *Lines) Pending() int { return len(l.carry) + len(l.tail)&^1 }

// Offset reports the input offset of the end of what was fed.
func (l *Lines) Offset() int64 { return l.pos }

// Feed consumes p, the next bytes of the input.
func (l *Lines) Feed(p []byte, emit func(msg []byte, end int64), skip func(end int64)) {
	l.pos += int64(len(p))
	if l.enc != UTF8 {
		buf := decodeBuffers.Get().(*[]byte)
		defer decodeBuffers.Put(buf)
		*buf = l.decode((*buf)[:0], p)
		p = *buf
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			l.hold(p, emit)
			return
		}
		line := p[:i]
		p = p[i+1:]
		if len(l.carry) > 0 {
			l.carry = append(l.carry, line...)
			line = l.carry
		}
		start := l.next
		l.next += l.width(line) + l.newline()
		l.end(line, start, emit, skip)
	}
}

// Flush emits the held partial line, if any, as a message of its own.
// Half a UTF-16 unit at the end stays held: it is not a character.
func (l *Lines) Flush(emit func(msg []byte, end int64), skip func(end int64)) {
	l.flushTail()
	if len(l.carry) == 0 && !l.discard {
		return
	}
	start := l.next
	l.next = l.pos - int64(len(l.tail))
	l.end(l.carry, start, emit, skip)
}

// Reset drops any held partial line and restarts at offset pos, for an
// input that was truncated or replaced.
func (l *Lines) Reset(pos int64) {
	l.pos, l.next = pos, pos
	l.carry = l.carry[:0]
	l.tail = l.tail[:0]
	l.align = l.enc.utf16() && pos%2 != 0
	l.bom = l.enc.utf16() && pos == 0
	l.discard = false
	l.splitting = false
}

// end finishes the line that started at input offset start and ends at
// l.next, terminator included.
func (l *Lines) end(line []byte, start int64, emit func([]byte, int64), skip func(int64)) {
	if l.discard {
		skip(l.next)
	} else {
		l.line(line, start, l.next, emit, skip)
	}
	l.carry = l.carry[:0]
	l.discard = false
	l.splitting = false
}

// hold keeps an unfinished line. Once it grows past the limit its full
// pieces are emitted (split) or its head is emitted and the rest dropped
// (truncate), so memory per input stays bounded by the limit.
func (l *Lines) hold(p []byte, emit func([]byte, int64)) {
	if l.discard {
		l.next += l.width(p)
		return
	}
	l.carry = append(l.carry, p...)
	// Keep a possible trailing '\r' and a cut rune in the carry: the line
	// may still end right after them.
	for len(l.carry) > l.max+utf8.UTFMax {
		if l.oversize == Truncate {
			l.emitTruncated(l.carry, l.next, emit)
			l.next += l.width(l.carry)
			l.carry = l.carry[:0]
			l.discard = true
			return
		}
		n := cutPoint(l.carry, l.max-len(l.splitMarker()))
		if !l.splitting {
			l.splitting = true
			l.Counts.Split++
		}
		l.next += l.width(l.carry[:n])
		l.emitPiece(l.carry[:n], l.next, emit)
		l.carry = append(l.carry[:0], l.carry[n:]...)
	}
}

// line emits one complete line that spans input offsets start to end,
// terminator included.
func (l *Lines) line(line []byte, start, end int64, emit func([]byte, int64), skip func(int64)) {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if len(line) == 0 {
		if l.keepEmpty && !l.splitting {
			emit(line, end)
			return
		}
		l.Counts.Empty++
		skip(end)
		return
	}
	// Most lines are clean and short: one look at their bytes says both.
	if len(line) <= l.max && isClean(line) {
		emit(line, end)
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
	if !l.splitting {
		l.Counts.Split++
	}
	for len(line) > 0 {
		if n := cutPoint(line, l.max); n == len(line) {
			l.emit(line, end, emit) // the last piece
			return
		}
		n := cutPoint(line, l.max-len(l.splitMarker()))
		start += l.width(line[:n])
		l.emitPiece(line[:n], start, emit)
		line = line[n:]
	}
}

// splitMarker is the marker that ends a piece of a split line, if any.
func (l *Lines) splitMarker() string {
	if l.noMarkers || l.max < 2*len(SplitMarker) {
		return ""
	}
	return SplitMarker
}

// emitPiece emits a piece of a split line that more pieces follow.
func (l *Lines) emitPiece(piece []byte, end int64, emit func([]byte, int64)) {
	marker := l.splitMarker()
	if marker == "" {
		l.emit(piece, end, emit)
		return
	}
	if isClean(piece) {
		l.scratch = append(l.scratch[:0], piece...)
	} else {
		l.scratch = appendValid(l.scratch[:0], piece, &l.Counts)
	}
	l.scratch = append(l.scratch, marker...)
	emit(l.scratch, end)
}

// SetMarkers says whether split and truncated messages carry
// SplitMarker and TruncatedMarker. The default is true.
func (l *Lines) SetMarkers(on bool) { l.noMarkers = !on }

// emitTruncated emits the head of line, which starts at input offset
// start, followed by TruncatedMarker.
func (l *Lines) emitTruncated(line []byte, start int64, emit func([]byte, int64)) {
	l.Counts.Truncated++
	marker := TruncatedMarker
	if l.noMarkers || l.max < 2*len(marker) {
		marker = "" // off, or a limit this small has no room for it
	}
	head := line[:cutPoint(line, l.max-len(marker))]
	if isClean(head) {
		l.scratch = append(l.scratch[:0], head...)
	} else {
		l.scratch = appendValid(l.scratch[:0], head, &l.Counts)
	}
	l.scratch = append(l.scratch, marker...)
	emit(l.scratch, start+l.width(head))
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
