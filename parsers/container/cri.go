package container

import (
	"bytes"

	"github.com/corral-logs/corral/parsers/record"
)

// CRI parses the CRI log format that containerd, CRI-O and the kubelet
// write:
//
//	2024-01-02T03:04:05.123456789Z stdout F message text
//
// An RFC 3339 timestamp, the stream (stdout or stderr), a tag and, after
// one space, the text, which may be empty. The tag is F for a whole line
// or the last piece of one, P for any other piece; a tag may carry more
// ':'-separated parts after its first, which are ignored. Any other line
// is Failed, and a held piece stays held.
//
// The record has one field, stream; see the package comment for Time,
// Message and how pieces are joined.
type CRI struct {
	// MaxBytes caps a joined line, as the package comment describes. Zero
	// means DefaultMaxBytes.
	MaxBytes int

	joiner
}

// NewCRI returns a parser for one CRI log file.
func NewCRI() *CRI { return &CRI{} }

// Parse resets r and fills it from line, or holds line's text when it is
// a piece of a longer line (returning record.Partial).
func (c *CRI) Parse(line []byte, r *record.Record) record.Result {
	r.Reset()
	l, ok := parseCRI(line)
	if !ok {
		return record.Failed
	}

	// A whole line with nothing held: the message is the line's text.
	p := &c.streams[l.stream]
	if !p.held && l.last {
		r.AddString("stream", streamNames[l.stream])
		r.Time = l.time
		r.Message = l.text
		r.Unwrap = true
		return record.Parsed
	}
	if !p.held {
		p = c.start(l.stream, l.time)
		p.fields.AddString("stream", streamNames[l.stream])
	}
	return p.add(l.text, l.last, maxOr(c.MaxBytes), r)
}

// Holding reports whether a piece of a split line is held: a caller that
// commits read positions must not commit past the line it came from.
func (c *CRI) Holding() bool { return c.holding() }

// Flush resets r and fills it with the text held for one stream, the one
// whose first piece came first, as if its line had ended; it reports
// false when nothing is held. Call it until it returns false at the end of
// input or at shutdown.
func (c *CRI) Flush(r *record.Record) bool { return c.flush(r) }

// criLine is what one CRI line says.
type criLine struct {
	time   int64
	stream int
	last   bool // tag F: the line ends with this piece
	text   []byte
}

// parseCRI splits a CRI line into its parts.
func parseCRI(line []byte) (criLine, bool) {
	var l criLine
	sp := bytes.IndexByte(line, ' ')
	if sp < 0 {
		return l, false
	}
	t, ok := parseTime(line[:sp])
	if !ok {
		return l, false
	}
	l.time = t
	rest := line[sp+1:]

	// The stream, then the tag, then the text.
	switch {
	case bytes.HasPrefix(rest, []byte("stdout ")):
		l.stream = stdout
	case bytes.HasPrefix(rest, []byte("stderr ")):
		l.stream = stderr
	default:
		return l, false
	}
	rest = rest[len("stdout "):]
	tag := rest
	l.text = rest[len(rest):] // empty, but not nil
	if sp = bytes.IndexByte(rest, ' '); sp >= 0 {
		tag, l.text = rest[:sp], rest[sp+1:]
	}
	if i := bytes.IndexByte(tag, ':'); i >= 0 {
		tag = tag[:i]
	}
	switch string(tag) {
	case "F":
		l.last = true
	case "P":
	default:
		return l, false
	}
	return l, true
}
