package container

import (
	"bytes"

	"github.com/corral-logs/corral/parsers/jsonl"
	"github.com/corral-logs/corral/parsers/record"
)

// Docker parses the json-file log format of Docker's default logging
// driver:
//
//	{"log":"message text\n","stream":"stdout","time":"2024-01-02T03:04:05.123456789Z"}
//
// log is the text with the line's newline; a log without one is a piece
// of a longer line (Docker splits lines at 16 KiB) and is held until a
// piece ending in a newline. The newline is not part of Message. A line
// that is not a JSON object with string members log, stream (stdout or
// stderr) and time (RFC 3339) is Failed, and a held piece stays held.
//
// The record's fields are the object's members but log and time, in
// order: stream and any others (attrs, from --log-opt labels or env),
// taken from the first piece. See the package comment for Time, Message
// and how pieces are joined.
type Docker struct {
	// MaxBytes caps a joined line, as the package comment describes. Zero
	// means DefaultMaxBytes.
	MaxBytes int

	joiner
	json jsonl.Parser
	line record.Record // the members of the line being parsed
}

// NewDocker returns a parser for one Docker json-file log.
func NewDocker() *Docker { return &Docker{} }

// Parse resets r and fills it from line, or holds line's text when it is
// a piece of a longer line (returning record.Partial).
func (d *Docker) Parse(line []byte, r *record.Record) record.Result {
	r.Reset()
	if d.json.Parse(line, &d.line) != record.Parsed {
		return record.Failed
	}
	text, stream, t, ok := d.members()
	if !ok {
		return record.Failed
	}
	last := len(text) > 0 && text[len(text)-1] == '\n'
	if last {
		text = text[:len(text)-1]
	}

	// A whole line with nothing held: the message is the line's text.
	p := &d.streams[stream]
	if !p.held && last {
		copyFields(r, &d.line, isWrapper)
		r.Time = t
		r.Message = text
		r.Unwrap = true
		return record.Parsed
	}
	if !p.held {
		p = d.start(stream, t)
		copyFields(&p.fields, &d.line, isWrapper)
	}
	return p.add(text, last, maxOr(d.MaxBytes), r)
}

// Holding reports whether a piece of a split line is held: a caller that
// commits read positions must not commit past the line it came from.
func (d *Docker) Holding() bool { return d.holding() }

// Flush resets r and fills it with the text held for one stream, the one
// whose first piece came first, as if its line had ended; it reports
// false when nothing is held. Call it until it returns false at the end of
// input or at shutdown.
func (d *Docker) Flush(r *record.Record) bool { return d.flush(r) }

// members returns the log text, stream and time of the parsed line.
func (d *Docker) members() (text []byte, stream int, t int64, ok bool) {
	text, kind, ok := d.line.Get("log")
	if !ok || kind != record.String {
		return nil, 0, 0, false
	}
	s, kind, ok := d.line.Get("stream")
	switch {
	case !ok || kind != record.String:
		return nil, 0, 0, false
	case bytes.Equal(s, streamNames[stdout]):
		stream = stdout
	case bytes.Equal(s, streamNames[stderr]):
		stream = stderr
	default:
		return nil, 0, 0, false
	}
	ts, kind, ok := d.line.Get("time")
	if !ok || kind != record.String {
		return nil, 0, 0, false
	}
	t, ok = parseTime(ts)
	return text, stream, t, ok
}

// isWrapper reports the members that become Message and Time, not fields.
func isWrapper(key []byte) bool { return string(key) == "log" || string(key) == "time" }
