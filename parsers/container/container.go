// Package container parses the log files container runtimes write: CRI
// (containerd, CRI-O, the kubelet's /var/log/pods) and Docker's json-file.
//
// Both formats wrap each line a container wrote with its stream and time,
// and split long lines into pieces. The parsers unwrap a line into a
// record whose Message is the container's text, Time its time in Unix
// milliseconds and Unwrap true, with a `stream` field (stdout or stderr).
//
// Pieces of a split line are held and joined, stdout and stderr apart, so
// pieces of the two streams may interleave. Parse returns record.Partial
// for a piece it holds and record.Parsed, with the whole text, for the
// piece that ends the line; the record's Time is the first piece's.
//
// Joining stops at MaxBytes: once the text gathered reaches it, Parse
// returns what it has as a Parsed record and the rest of the line, from
// the next piece on, becomes a new event with that piece's time. A record
// thus holds at most MaxBytes plus one piece (runtimes write pieces of
// 16 KiB); cutting it to the sink's limit is left to the framer.
//
// A caller must not commit a read position past a held piece: Holding
// reports whether there is one, and Flush emits held text as a record at
// the end of input or at shutdown.
//
// Message may refer to the line or to the parser's memory; either way it
// is valid until the next call to Parse or Flush. A parser keeps the
// state of one input and is not safe for concurrent use.
package container

import "github.com/corral-logs/corral/parsers/record"

// DefaultMaxBytes is the default cap on a joined line: CloudWatch Logs'
// largest event, 1,048,576 bytes, less the 26 bytes it counts per event.
const DefaultMaxBytes = 1_048_576 - 26

// The streams a runtime writes, by index.
const (
	stdout = iota
	stderr
)

// streamNames holds each stream's name, the value of the stream field.
var streamNames = [2][]byte{[]byte("stdout"), []byte("stderr")}

// joiner holds the split lines of both streams.
type joiner struct {
	streams [2]pending
	seq     uint64 // counts started events, to flush the oldest first
}

// pending is the held start of one stream's split line.
type pending struct {
	held   bool
	seq    uint64        // the joiner's count when it started
	time   int64         // the first piece's time
	msg    []byte        // the text of the pieces so far
	fields record.Record // the first piece's fields
}

// start begins a held event at time t on stream s, with no text and no
// fields yet.
func (j *joiner) start(s int, t int64) *pending {
	j.seq++
	p := &j.streams[s]
	p.held, p.seq, p.time = true, j.seq, t
	p.fields.Reset()
	p.msg = p.msg[:0]
	if p.msg == nil {
		p.msg = []byte{} // a nil Message would mean "the whole line"
	}
	return p
}

// add appends piece to p and, when last is set or the text has reached
// maxBytes, emits the event into r.
func (p *pending) add(piece []byte, last bool, maxBytes int, r *record.Record) record.Result {
	p.msg = append(p.msg, piece...)
	if !last && len(p.msg) < maxBytes {
		return record.Partial
	}
	p.emit(r)
	return record.Parsed
}

// emit fills r with the held event and releases it. r must be empty.
func (p *pending) emit(r *record.Record) {
	copyFields(r, &p.fields, nil)
	r.Time = p.time
	r.Message = p.msg
	r.Unwrap = true
	p.held = false
}

// holding reports whether a stream holds a piece.
func (j *joiner) holding() bool { return j.streams[0].held || j.streams[1].held }

// flush resets r and emits into it the event held longest, if any.
func (j *joiner) flush(r *record.Record) bool {
	r.Reset()
	var oldest *pending
	for i := range j.streams {
		p := &j.streams[i]
		if p.held && (oldest == nil || p.seq < oldest.seq) {
			oldest = p
		}
	}
	if oldest == nil {
		return false
	}
	oldest.emit(r)
	return true
}

// copyFields appends src's fields to dst, but for those skip reports.
func copyFields(dst, src *record.Record, skip func(key []byte) bool) {
	for i := range src.Len() {
		k, v, kind := src.Field(i)
		if skip == nil || !skip(k) {
			dst.Add(k, v, kind)
		}
	}
}

// maxOr returns n, or DefaultMaxBytes when n is not positive.
func maxOr(n int) int {
	if n <= 0 {
		return DefaultMaxBytes
	}
	return n
}
