// Package record holds what a parser found in one event: named fields, an
// optional timestamp and an optional message body. A Record is reused from
// event to event, so parsing a line allocates nothing once its buffers
// have grown.
package record

import "bytes"

// Kind says how a field's value is written into a JSON envelope.
type Kind uint8

const (
	// String is text; it is escaped when written as JSON.
	String Kind = iota
	// JSON is a JSON value (number, true, false, null, object, array),
	// written as it is.
	JSON
)

// Result is what a parser made of one line.
type Result uint8

const (
	// Parsed: the record holds the line's fields.
	Parsed Result = iota
	// Failed: the line is not in the parser's format. The record's
	// content is undefined; the line is shipped as it was and counted.
	Failed
	// Partial: the line is the first part of an event the format splits
	// over several lines (CRI "P", Docker without a final newline). The
	// parser holds it; a later line completes the event.
	Partial
)

// Parser turns one line into a record. Parsers that reassemble partial
// lines keep state, so each input (a file, say) gets its own Parser.
type Parser interface {
	// Parse resets r and fills it from line. r may refer to line (its
	// Message, say), so the caller keeps line unchanged while it uses r.
	Parse(line []byte, r *Record) Result
}

// Record is the result of parsing one event.
type Record struct {
	// Time is the event's time in Unix milliseconds as the format states
	// it (a syslog header, a CRI timestamp), or 0 when it states none.
	Time int64
	// Message is the event's text when the format wraps it: the MSG of a
	// syslog line, the log of a CRI or Docker line. Nil means the whole
	// line is the message.
	Message []byte
	// Unwrap says the format is only a wrapper (CRI, Docker): shipped
	// raw, the event is Message, not the line.
	Unwrap bool

	fields []field
	buf    []byte
}

type field struct {
	key, val span
	kind     Kind
}

type span struct{ off, end uint32 }

// Reset empties r, keeping its memory.
func (r *Record) Reset() {
	r.Time = 0
	r.Message = nil
	r.Unwrap = false
	r.fields = r.fields[:0]
	r.buf = r.buf[:0]
}

// Add appends a field; key and value are copied.
func (r *Record) Add(key, value []byte, kind Kind) {
	k := r.put(key)
	v := r.put(value)
	r.fields = append(r.fields, field{key: k, val: v, kind: kind})
}

// AddString appends a text field whose key is a string; value is copied.
func (r *Record) AddString(key string, value []byte) {
	k := r.putString(key)
	v := r.put(value)
	r.fields = append(r.fields, field{key: k, val: v, kind: String})
}

// Value returns a writable buffer for a field's value: a parser that must
// unescape text appends to the returned slice, then calls Commit with it.
// No other method may be called in between.
func (r *Record) Value() []byte { return r.buf[len(r.buf):] }

// Commit appends a field whose value was built in the buffer Value
// returned.
func (r *Record) Commit(key []byte, value []byte, kind Kind) {
	start := len(r.buf)
	r.buf = append(r.buf, value...) // value aliases buf[start:]: this only extends its length
	v := span{uint32(start), uint32(len(r.buf))}
	k := r.put(key)
	r.fields = append(r.fields, field{key: k, val: v, kind: kind})
}

func (r *Record) put(b []byte) span {
	start := len(r.buf)
	r.buf = append(r.buf, b...)
	return span{uint32(start), uint32(len(r.buf))}
}

func (r *Record) putString(s string) span {
	start := len(r.buf)
	r.buf = append(r.buf, s...)
	return span{uint32(start), uint32(len(r.buf))}
}

// Len reports the number of fields.
func (r *Record) Len() int { return len(r.fields) }

// Field returns the i-th field in the order it was added. The slices
// alias the record's memory and are valid until the next Reset or Add.
func (r *Record) Field(i int) (key, value []byte, kind Kind) {
	f := r.fields[i]
	return r.buf[f.key.off:f.key.end], r.buf[f.val.off:f.val.end], f.kind
}

// Get returns the value of the last field named key.
func (r *Record) Get(key string) (value []byte, kind Kind, ok bool) {
	for i := len(r.fields) - 1; i >= 0; i-- {
		f := r.fields[i]
		if string(r.buf[f.key.off:f.key.end]) == key {
			return r.buf[f.val.off:f.val.end], f.kind, true
		}
	}
	return nil, String, false
}

// Text returns the message for a JSON envelope: Message when the format
// has a body, else line.
func (r *Record) Text(line []byte) []byte {
	if r.Message != nil {
		return r.Message
	}
	return line
}

// Pairs returns the fields as key and value strings, in order; for tests
// and debugging.
func (r *Record) Pairs() [][2]string {
	out := make([][2]string, len(r.fields))
	for i := range r.fields {
		k, v, _ := r.Field(i)
		out[i] = [2]string{string(k), string(v)}
	}
	return out
}

// Equal reports whether r holds the same fields as other, in order; for
// tests.
func (r *Record) Equal(other *Record) bool {
	if r.Time != other.Time || r.Unwrap != other.Unwrap || !bytes.Equal(r.Message, other.Message) ||
		len(r.fields) != len(other.fields) {
		return false
	}
	for i := range r.fields {
		k1, v1, t1 := r.Field(i)
		k2, v2, t2 := other.Field(i)
		if !bytes.Equal(k1, k2) || !bytes.Equal(v1, v2) || t1 != t2 {
			return false
		}
	}
	return true
}
