// Package vpcflow reads VPC Flow Logs files as they are delivered to S3: a
// header line naming the fields, then one record per line, fields
// separated by spaces, "-" for a field that does not apply.
package vpcflow

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/corral-logs/corral/parsers/record"
)

// ErrTooLarge is wrapped by the error Next returns for a line longer than
// the reader's limit. The reader has skipped that line; reading may go on.
var ErrTooLarge = errors.New("vpcflow: line too long")

// DefaultMaxLineBytes is the default limit on one line. A record with every
// field of version 8 is under 2 KB; a longer line is not a flow record.
const DefaultMaxLineBytes = 64 << 10

// DefaultFields is the default format (version 2), which a file without a
// header line is read with.
var DefaultFields = []string{
	"version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport",
	"protocol", "packets", "bytes", "start", "end", "action", "log-status",
}

// knownFields are the field names of formats 2 to 8, and two later ones
// seen in the field; a header line names at least one of them.
var knownFields = map[string]bool{
	"version": true, "account-id": true, "interface-id": true, "srcaddr": true, "dstaddr": true,
	"srcport": true, "dstport": true, "protocol": true, "packets": true, "bytes": true,
	"start": true, "end": true, "action": true, "log-status": true,
	"vpc-id": true, "subnet-id": true, "instance-id": true, "tcp-flags": true, "type": true,
	"pkt-srcaddr": true, "pkt-dstaddr": true,
	"region": true, "az-id": true, "sublocation-type": true, "sublocation-id": true,
	"pkt-src-aws-service": true, "pkt-dst-aws-service": true, "flow-direction": true, "traffic-path": true,
	"ecs-cluster-arn": true, "ecs-cluster-name": true, "ecs-container-instance-arn": true,
	"ecs-container-instance-id": true, "ecs-container-id": true, "ecs-second-container-id": true,
	"ecs-service-name": true, "ecs-task-definition-arn": true, "ecs-task-arn": true, "ecs-task-id": true,
	"reject-reason": true, "resource-id": true, "encryption-status": true,
}

// numericFields are written as JSON numbers when their value is one.
var numericFields = map[string]bool{
	"version": true, "srcport": true, "dstport": true, "protocol": true, "packets": true,
	"bytes": true, "start": true, "end": true, "tcp-flags": true,
}

// Reader yields the records of one flow log file.
type Reader struct {
	br     *bufio.Reader
	max    int
	fields [][]byte // from the header line, or DefaultFields
	number []bool   // numericFields of fields
	start  int      // index of the start field, or -1
	seen   bool     // the first line was read
	line   []byte
	values [][]byte
}

// NewReader returns a reader of the flow log file in src.
func NewReader(src io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(src, 16<<10), max: DefaultMaxLineBytes, start: -1}
}

// SetMaxLineBytes sets the longest line Next returns; longer ones are
// skipped with an error wrapping ErrTooLarge. Default DefaultMaxLineBytes.
func (r *Reader) SetMaxLineBytes(n int) {
	if n > 0 {
		r.max = n
	}
}

// Fields returns the field names in file order, once Next was called.
func (r *Reader) Fields() []string {
	out := make([]string, len(r.fields))
	for i, f := range r.fields {
		out[i] = string(f)
	}
	return out
}

// Next returns the next record's line, without its line ending, and fills
// rec with its fields named as in the header: "-" leaves a field out,
// numeric fields holding a number are JSON, the rest String. rec.Time is
// start × 1000. A line whose field count differs from the header's is
// returned as Failed with rec empty. Empty lines are skipped. At the end of
// the input Next returns io.EOF; an error wrapping ErrTooLarge skips one
// line and reading may go on.
func (r *Reader) Next(rec *record.Record) ([]byte, record.Result, error) {
	for {
		line, err := r.readLine()
		if err != nil {
			return nil, record.Failed, err
		}
		r.values = splitFields(r.values[:0], line)
		if len(r.values) == 0 {
			continue
		}
		if isHeader(r.values) {
			r.setFields(r.values)
			r.seen = true
			continue
		}
		if !r.seen {
			r.setFields(nil)
			r.seen = true
		}
		return line, r.parse(rec), nil
	}
}

// setFields takes the field names of a header line, or DefaultFields.
func (r *Reader) setFields(names [][]byte) {
	r.fields = r.fields[:0]
	if names == nil {
		for _, f := range DefaultFields {
			r.fields = append(r.fields, []byte(f))
		}
	} else {
		for _, f := range names {
			r.fields = append(r.fields, bytes.Clone(f))
		}
	}
	r.number = r.number[:0]
	r.start = -1
	for i, f := range r.fields {
		r.number = append(r.number, numericFields[string(f)])
		if string(f) == "start" {
			r.start = i
		}
	}
}

// parse fills rec from r.values.
func (r *Reader) parse(rec *record.Record) record.Result {
	rec.Reset()
	if len(r.values) != len(r.fields) {
		return record.Failed
	}
	for i, v := range r.values {
		if len(v) == 1 && v[0] == '-' {
			continue
		}
		kind := record.String
		if r.number[i] && isNumber(v) {
			kind = record.JSON
		}
		rec.Add(r.fields[i], v, kind)
	}
	if r.start >= 0 {
		if s, err := strconv.ParseInt(string(r.values[r.start]), 10, 64); err == nil && s > 0 && s < 1<<40 {
			rec.Time = s * 1000
		}
	}
	return record.Parsed
}

// readLine returns the next line without its line ending, skipping over
// lines longer than r.max.
func (r *Reader) readLine() ([]byte, error) {
	r.line = r.line[:0]
	tooLong := false
	for {
		part, err := r.br.ReadSlice('\n')
		if !tooLong && len(r.line)+len(part) > r.max+2 { // +2: the line ending
			tooLong = true
			r.line = r.line[:0]
		}
		if !tooLong {
			r.line = append(r.line, part...)
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && (len(r.line) > 0 || tooLong):
			// the last line has no newline
		case err != nil:
			return nil, err
		}
		if tooLong {
			return nil, fmt.Errorf("line over %d bytes: %w", r.max, ErrTooLarge)
		}
		line := bytes.TrimSuffix(r.line, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > r.max {
			return nil, fmt.Errorf("line over %d bytes: %w", r.max, ErrTooLarge)
		}
		return line, nil
	}
}

// splitFields appends the space-separated fields of line to dst.
func splitFields(dst [][]byte, line []byte) [][]byte {
	for i := 0; i < len(line); {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		j := i
		for j < len(line) && line[j] != ' ' && line[j] != '\t' {
			j++
		}
		if j > i {
			dst = append(dst, line[i:j])
		}
		i = j
	}
	return dst
}

// isHeader reports whether fields are field names: all of lowercase words
// joined by "-", at least one a known name. No record has such a line: its
// addresses, numbers, "-" and upper-case actions are not names.
func isHeader(fields [][]byte) bool {
	known := false
	for _, f := range fields {
		if !isName(f) {
			return false
		}
		known = known || knownFields[string(f)]
	}
	return known
}

func isName(f []byte) bool {
	if len(f) == 0 || f[0] < 'a' || f[0] > 'z' || f[len(f)-1] == '-' {
		return false
	}
	for i, c := range f {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' && f[i-1] != '-':
		default:
			return false
		}
	}
	return true
}

// isNumber reports whether v is a JSON integer without sign that fits in a
// uint64: no leading zero unless it is "0", and what ParseUint accepts. A
// larger one is left a string, so no reader of the event rounds it.
func isNumber(v []byte) bool {
	if len(v) == 0 || (v[0] == '0' && len(v) > 1) {
		return false
	}
	_, err := strconv.ParseUint(string(v), 10, 64)
	return err == nil
}
