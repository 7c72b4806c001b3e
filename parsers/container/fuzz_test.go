package container

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/corral-logs/corral/parsers/jsonl"
	"github.com/corral-logs/corral/parsers/record"
)

// piece is what a reference reading of one line found in it.
type piece struct {
	stream int
	text   []byte
	time   int64
	last   bool
}

// check feeds the lines of input to p and checks, against ref, a
// reference reading of a line: that p accepts the lines ref reads, that
// per stream the records' messages joined are the accepted texts joined
// (no byte lost, none added), that each record has the time of its first
// piece and the right stream field, and that a record outgrows the cap
// only by its last piece.
func check(t *testing.T, p parser, input []byte, maxBytes int, ref func([]byte) (piece, bool)) {
	var want, got [2][]byte
	var first [2]int64 // the reference's first time of the event being joined
	var joining [2]bool
	var r record.Record
	emitted := func(what string, last []byte) {
		s := stdout
		if v, _, _ := r.Get("stream"); string(v) == "stderr" {
			s = stderr
		}
		checkRecord(t, what, &r, first[s], joining[s])
		if n := len(r.Message) - len(last); n >= maxBytes {
			t.Errorf("%s: record of %d bytes, %d before its last piece; cap %d",
				what, len(r.Message), n, maxBytes)
		}
		got[s] = append(got[s], r.Message...)
		joining[s] = false
	}
	for line := range bytes.SplitSeq(input, []byte("\n")) {
		res := p.Parse(line, &r)
		pc, ok := ref(line)
		if ok != (res != record.Failed) {
			t.Fatalf("Parse(%q) = %v; reference reads it %v", line, res, ok)
		}
		if !ok {
			continue
		}
		want[pc.stream] = append(want[pc.stream], pc.text...)
		if !joining[pc.stream] {
			first[pc.stream], joining[pc.stream] = pc.time, true
		}
		switch {
		case res == record.Parsed:
			emitted("Parse("+string(line)+")", pc.text)
		case res != record.Partial || pc.last || !p.Holding():
			t.Fatalf("Parse(%q) = %v, Holding %v; reference reads last piece %v",
				line, res, p.Holding(), pc.last)
		}
	}
	for p.Flush(&r) {
		emitted("Flush", nil)
	}
	if p.Holding() || !bytes.Equal(want[0], got[0]) || !bytes.Equal(want[1], got[1]) {
		t.Errorf("holding %v; stdout %q, stderr %q; want %q, %q",
			p.Holding(), got[0], got[1], want[0], want[1])
	}
}

// checkRecord checks the record of a whole line: its time is the first
// piece's, Unwrap is set, Message is not nil and JSON fields are valid.
func checkRecord(t *testing.T, what string, r *record.Record, first int64, joining bool) {
	if !joining || r.Time != first || !r.Unwrap || r.Message == nil {
		t.Fatalf("%s: time %d, unwrap %v, message nil %v; want time %d, true, false (joining %v)",
			what, r.Time, r.Unwrap, r.Message == nil, first, joining)
	}
	for i := range r.Len() {
		_, v, kind := r.Field(i)
		b, err := json.Marshal(string(v))
		if kind == record.JSON && !json.Valid(v) || err != nil || !json.Valid(b) {
			t.Errorf("%s: field %d %q of kind %v is not valid", what, i, v, kind)
		}
	}
}

// rfc3339 is the shape of an RFC 3339 time. time.Parse is laxer: it takes
// a one-digit hour, say, or an offset of 24 hours or of 60 minutes.
var rfc3339 = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?` +
	`(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$`)

// refTime reads an RFC 3339 time with time.Parse.
func refTime(s string) (int64, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || !rfc3339.MatchString(s) {
		return 0, false
	}
	return t.UnixMilli(), true
}

func FuzzCRI(f *testing.F) {
	for _, tt := range criTests {
		f.Add([]byte(strings.Join(tt.lines, "\n")), uint8(tt.max))
	}
	f.Fuzz(func(t *testing.T, input []byte, maxBytes uint8) {
		p := NewCRI()
		p.MaxBytes = int(maxBytes)
		check(t, p, input, maxOr(p.MaxBytes), refCRI)
	})
}

// refCRI reads a CRI line by splitting it at its first three spaces.
func refCRI(line []byte) (piece, bool) {
	var pc piece
	parts := strings.SplitN(string(line), " ", 4)
	if len(parts) < 3 {
		return pc, false
	}
	var ok bool
	if pc.time, ok = refTime(parts[0]); !ok {
		return pc, false
	}
	switch parts[1] {
	case "stdout":
	case "stderr":
		pc.stream = stderr
	default:
		return pc, false
	}
	switch tag, _, _ := strings.Cut(parts[2], ":"); tag {
	case "F":
		pc.last = true
	case "P":
	default:
		return pc, false
	}
	if len(parts) == 4 {
		pc.text = []byte(parts[3])
	}
	return pc, true
}

func FuzzDocker(f *testing.F) {
	for _, tt := range dockerTests {
		f.Add([]byte(strings.Join(tt.lines, "\n")), uint8(tt.max))
	}
	f.Fuzz(func(t *testing.T, input []byte, maxBytes uint8) {
		if !utf8.Valid(input) {
			return // the framer passes valid UTF-8; encoding/json would replace bytes
		}
		p := NewDocker()
		p.MaxBytes = int(maxBytes)
		check(t, p, input, maxOr(p.MaxBytes), refDocker)
	})
}

// refDocker reads a json-file line with encoding/json.
func refDocker(line []byte) (piece, bool) {
	var pc piece
	var m map[string]json.RawMessage
	var log, stream, ts string
	if json.Unmarshal(line, &m) != nil || m == nil || depth(line) > jsonl.MaxDepth ||
		!refString(m["log"], &log) || !refString(m["stream"], &stream) || !refString(m["time"], &ts) {
		return pc, false
	}
	var ok bool
	if pc.time, ok = refTime(ts); !ok {
		return pc, false
	}
	switch stream {
	case "stdout":
	case "stderr":
		pc.stream = stderr
	default:
		return pc, false
	}
	log, pc.last = strings.CutSuffix(log, "\n")
	pc.text = []byte(log)
	return pc, true
}

// depth returns how deeply the valid JSON text b nests.
func depth(b []byte) int {
	dec := json.NewDecoder(bytes.NewReader(b))
	d, deepest := 0, 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return deepest
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			d++
			deepest = max(deepest, d)
		case json.Delim('}'), json.Delim(']'):
			d--
		}
	}
}

// refString decodes raw into s when it is a JSON string.
func refString(raw json.RawMessage, s *string) bool {
	return len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, s) == nil
}
