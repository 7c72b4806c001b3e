// Package cloudtrail reads CloudTrail log files, a JSON object whose
// "Records" array holds one object per API call, one record at a time.
// Memory is bounded by the largest record, not by the file: the array is
// never decoded whole.
package cloudtrail

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/segmentio/encoding/json"

	"github.com/corral-logs/corral/parsers/record"
)

// ErrTooLarge is wrapped by the error Next returns for a record longer than
// the reader's limit. The reader has skipped that record; reading may go on.
var ErrTooLarge = errors.New("cloudtrail: record too large")

// DefaultMaxRecordBytes is the default limit on one record: CloudTrail's
// own limit is 256 KB per event, so a larger record means a file that is not
// CloudTrail's, and the limit keeps it from filling memory.
const DefaultMaxRecordBytes = 1 << 20

// readSize is how much is read from the input at a time.
const readSize = 64 << 10

// Reader yields the records of one CloudTrail file. A file without a
// "Records" member (a digest file, say) yields none and no error; several
// top-level objects in a row are read one after the other.
type Reader struct {
	src io.Reader
	max int

	buf  []byte // input window: buf[r:w] is read but not consumed
	r, w int
	rerr error // the input's error, returned once buf is drained
	off  int64 // input bytes consumed before buf[0]

	state   state
	first   bool // no member or element read yet in the current object or array
	rec     []byte
	key     []byte
	n       int   // records read, including skipped ones
	fatal   error // sticky: the input is not CloudTrail
	scratch []byte
}

type state uint8

const (
	inDocument state = iota // between top-level objects
	inObject                // inside a top-level object
	inRecords               // inside a Records array
)

// NewReader returns a reader of the CloudTrail file in src.
func NewReader(src io.Reader) *Reader {
	return &Reader{src: src, max: DefaultMaxRecordBytes, buf: make([]byte, readSize)}
}

// SetMaxRecordBytes sets the longest record Next returns; longer ones are
// skipped with an error wrapping ErrTooLarge. Default DefaultMaxRecordBytes.
func (r *Reader) SetMaxRecordBytes(n int) {
	if n > 0 {
		r.max = n
	}
}

// Next returns the next record's JSON exactly as the file has it, and fills
// rec with its fields (see Fields). The bytes are valid until the next call.
// At the end of the input it returns io.EOF. An error wrapping ErrTooLarge
// skips one record and reading may go on; any other error is final.
func (r *Reader) Next(rec *record.Record) ([]byte, error) {
	if r.fatal != nil {
		return nil, r.fatal
	}
	msg, err := r.next()
	if err != nil {
		if !errors.Is(err, ErrTooLarge) {
			r.fatal = err
		}
		return nil, err
	}
	if !json.Valid(msg) {
		r.fatal = fmt.Errorf("record %d: invalid JSON", r.n)
		return nil, r.fatal
	}
	Fields(msg, rec)
	return msg, nil
}

// Offset reports the input bytes consumed so far.
func (r *Reader) Offset() int64 { return r.off + int64(r.r) }

// next walks the document structure to the next element of a Records
// array and captures it.
func (r *Reader) next() ([]byte, error) {
	for {
		c, err := r.skipSpace()
		switch {
		case err == io.EOF && r.state == inDocument:
			return nil, io.EOF
		case err == io.EOF:
			return nil, fmt.Errorf("at byte %d: %w", r.Offset(), io.ErrUnexpectedEOF)
		case err != nil:
			return nil, err
		}

		switch r.state {
		case inDocument:
			if c != '{' {
				return nil, fmt.Errorf("at byte %d: not a JSON object", r.Offset())
			}
			r.r++
			r.state, r.first = inObject, true

		case inObject:
			if c == '}' {
				r.r++
				r.state = inDocument
				continue
			}
			if !r.first {
				if err := r.expect(c, ','); err != nil {
					return nil, err
				}
				if c, err = r.skipSpace(); err != nil {
					return nil, r.unexpected(err)
				}
			}
			r.first = false
			if err := r.member(c); err != nil {
				return nil, err
			}

		case inRecords:
			if c == ']' {
				r.r++
				r.state, r.first = inObject, false
				continue
			}
			if !r.first {
				if err := r.expect(c, ','); err != nil {
					return nil, err
				}
				if c, err = r.skipSpace(); err != nil {
					return nil, r.unexpected(err)
				}
			}
			r.first = false
			r.n++
			if c != '{' {
				return nil, fmt.Errorf("record %d at byte %d: not a JSON object", r.n, r.Offset())
			}
			start := r.Offset()
			rec, tooLarge, err := r.value(r.rec[:0], r.max)
			if err != nil {
				return nil, r.unexpected(err)
			}
			if tooLarge {
				return nil, fmt.Errorf("record %d at byte %d: over %d bytes: %w", r.n, start, r.max, ErrTooLarge)
			}
			r.rec = rec
			return rec, nil
		}
	}
}

// member reads one member of a top-level object, whose key starts at c:
// it enters a Records array and skips anything else.
func (r *Reader) member(c byte) error {
	if c != '"' {
		return fmt.Errorf("at byte %d: object key expected", r.Offset())
	}
	key, _, err := r.value(r.key[:0], 64)
	if err != nil {
		return r.unexpected(err)
	}
	r.key = key
	if c, err = r.skipSpace(); err != nil {
		return r.unexpected(err)
	}
	if err := r.expect(c, ':'); err != nil {
		return err
	}
	if c, err = r.skipSpace(); err != nil {
		return r.unexpected(err)
	}
	if string(key) == `"Records"` && c == '[' {
		r.r++
		r.state, r.first = inRecords, true
		return nil
	}
	if _, _, err := r.value(nil, 0); err != nil {
		return r.unexpected(err)
	}
	return nil
}

// expect consumes c if it is want.
func (r *Reader) expect(c, want byte) error {
	if c != want {
		return fmt.Errorf("at byte %d: %q expected, found %q", r.Offset(), want, c)
	}
	r.r++
	return nil
}

// unexpected turns io.EOF inside a value into io.ErrUnexpectedEOF.
func (r *Reader) unexpected(err error) error {
	if err == io.EOF {
		return fmt.Errorf("at byte %d: %w", r.Offset(), io.ErrUnexpectedEOF)
	}
	return err
}

// skipSpace consumes white space and returns the next byte, unconsumed.
func (r *Reader) skipSpace() (byte, error) {
	for {
		for r.r < r.w {
			switch c := r.buf[r.r]; c {
			case ' ', '\t', '\n', '\r':
				r.r++
			default:
				return c, nil
			}
		}
		if err := r.fill(); err != nil {
			return 0, err
		}
	}
}

// fill reads more input into an empty window.
func (r *Reader) fill() error {
	if r.r < r.w {
		return nil
	}
	if r.rerr != nil {
		return r.rerr
	}
	r.off += int64(r.w)
	r.r, r.w = 0, 0
	for range 100 {
		n, err := r.src.Read(r.buf)
		r.w = n
		if err != nil {
			r.rerr = err
		}
		if n > 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
	r.rerr = io.ErrNoProgress
	return r.rerr
}

// value consumes the JSON value that starts at the next byte (a string,
// object, array or scalar) and appends its bytes to dst while dst stays
// within max bytes. Past max it keeps consuming without storing and
// reports tooLarge. It checks structure only (brackets and strings);
// json.Valid judges the rest.
func (r *Reader) value(dst []byte, max int) (out []byte, tooLarge bool, err error) {
	keep := func(p []byte) {
		if tooLarge {
			return
		}
		if len(dst)+len(p) > max {
			tooLarge = true
			return
		}
		dst = append(dst, p...)
	}
	if err := r.fill(); err != nil {
		return dst, false, err
	}

	// A scalar ends at a delimiter, which it does not consume.
	if c := r.buf[r.r]; c != '"' && c != '{' && c != '[' {
		for {
			chunk := r.buf[r.r:r.w]
			i := indexIn(chunk, &scalarEnd)
			if i >= 0 {
				keep(chunk[:i])
				r.r += i
				return dst, tooLarge, nil
			}
			keep(chunk)
			r.r = r.w
			if err := r.fill(); err == io.EOF {
				return dst, tooLarge, nil // a scalar may end the input
			} else if err != nil {
				return dst, tooLarge, err
			}
		}
	}

	depth := 0
	inString, escaped := false, false
	for {
		if err := r.fill(); err != nil {
			return dst, tooLarge, err
		}
		chunk := r.buf[r.r:r.w]
		i := 0
		done := false
		for i < len(chunk) && !done {
			switch {
			case escaped:
				escaped = false
				i++
			case inString:
				j := indexQuoteOrBackslash(chunk[i:])
				if j < 0 {
					i = len(chunk)
					break
				}
				i += j
				if chunk[i] == '\\' {
					escaped = true
				} else {
					inString = false
					done = depth == 0
				}
				i++
			default:
				j := indexIn(chunk[i:], &structural)
				if j < 0 {
					i = len(chunk)
					break
				}
				i += j
				switch chunk[i] {
				case '"':
					inString = true
				case '{', '[':
					depth++
				default:
					depth--
					done = depth == 0
				}
				i++
			}
		}
		keep(chunk[:i])
		r.r += i
		if done {
			return dst, tooLarge, nil
		}
	}
}

// Byte sets for indexIn.
var (
	scalarEnd  = byteSet(" \t\r\n,]}:")
	structural = byteSet(`"{}[]`)
)

func byteSet(s string) (set [256]bool) {
	for i := range len(s) {
		set[s[i]] = true
	}
	return set
}

// indexIn returns the index of the first byte of b in set, or -1.
func indexIn(b []byte, set *[256]bool) int {
	for i, c := range b {
		if set[c] {
			return i
		}
	}
	return -1
}

// indexQuoteOrBackslash returns the index of the first '"' or '\\' in b, or
// -1. Two IndexByte scans beat a byte loop on the long strings of large
// records (requestParameters, say).
func indexQuoteOrBackslash(b []byte) int {
	q := bytes.IndexByte(b, '"')
	if q < 0 {
		q = len(b)
	}
	if e := bytes.IndexByte(b[:q], '\\'); e >= 0 {
		return e
	}
	if q == len(b) {
		return -1
	}
	return q
}
