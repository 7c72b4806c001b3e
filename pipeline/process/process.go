// Package process turns a source's framed events into routed events: it
// filters, redacts, parses, times, formats and routes each one, and adds
// it to a pipeline.Group. A source builds one Processor per input (a
// file, a journal, an object), since parsers that reassemble partial
// lines keep state.
//
// Redaction runs on the text as read, before parsing, so that no field,
// routing name or envelope derived from an event can carry a secret the
// rules know.
package process

import (
	"regexp"
	"sync/atomic"
	"unicode/utf8"

	"github.com/corral-logs/corral/parsers/frame"
	"github.com/corral-logs/corral/parsers/record"
	"github.com/corral-logs/corral/parsers/timestamp"
	"github.com/corral-logs/corral/pipeline"
)

// Redactor removes secrets from a message. It appends to dst and returns
// msg itself when it changed nothing.
type Redactor interface {
	Redact(dst, msg []byte) (out []byte, changed bool)
}

// Options are a source's processing, shared by all of its inputs.
type Options struct {
	// Source names the source in blocks.
	Source string
	// NewParser returns a parser for one input. Nil: events are not
	// parsed.
	NewParser func() record.Parser
	// TimeField names the parsed field that holds the event's time, read
	// in Time's format. Empty: the time the parser found, else Time read
	// from the start of the event, else the read time.
	TimeField string
	Time      *timestamp.Format
	// JSON formats each event as an envelope with its message, fields and
	// metadata, instead of the text as it was.
	JSON bool
	// Include keeps only events that match one of its expressions;
	// Exclude drops events that match one of its.
	Include, Exclude []*regexp.Regexp
	// Redact, when set, removes secrets from every event.
	Redact Redactor
	// Labels go into every envelope, sorted by key.
	Labels [][2]string
	// MaxEventBytes is the longest message sent; redaction and envelopes
	// can make an event longer than the framer left it. Oversize and
	// Markers say how a longer one is cut, as the framer does. Default
	// pipeline.MaxEventBytes.
	MaxEventBytes int
	Oversize      frame.Oversize
	Markers       bool
	// Stats counts what processing did; shared by the source's inputs.
	Stats *Stats
}

// Stats counts events that processing changed or dropped.
type Stats struct {
	ParseFailed atomic.Int64 // shipped as they were
	Filtered    atomic.Int64 // dropped by include or exclude rules
	Fallback    atomic.Int64 // routed to a fallback for lack of a field
	Empty       atomic.Int64 // dropped: nothing left to send after parsing
	Split       atomic.Int64 // made too long by redaction, sent as several events
	Truncated   atomic.Int64 // made too long by redaction or an envelope, cut short
}

// Input is what a processor knows of the input it serves.
type Input struct {
	// Group and Stream are the routing templates with every placeholder
	// but the event's fields already filled in.
	Group, Stream Template
	// FallbackGroup and FallbackStream replace a name whose template
	// refers to a field the event lacks. Sanitized.
	FallbackGroup, FallbackStream string
	// Profile is the sink profile of the input's destinations.
	Profile int
	// Meta is the input's metadata for envelopes: host, file, EC2, ECS.
	Meta [][2]string
}

// Template is a routing name with fields left to fill per event.
type Template []Part

// Part is literal text, or the name of a field when Field is set.
type Part struct {
	Text  string
	Field bool
}

// static reports whether the template needs no field.
func (t Template) static() bool {
	for _, p := range t {
		if p.Field {
			return false
		}
	}
	return true
}

// Processor processes the events of one input. It is not safe for
// concurrent use.
type Processor struct {
	opts   *Options
	in     Input
	parser record.Parser
	rec    record.Record
	router router

	max      int           // the longest message
	bare     record.Record // an envelope's record when it must be cut
	redacted []byte        // the redacted text of the current event
	envelope []byte        // the JSON envelope of the current event
	tail     []byte        // the end of every envelope: metadata and labels
}

// New returns a processor of opts for one input.
func New(opts *Options, in Input) *Processor {
	p := &Processor{opts: opts, in: in, max: opts.MaxEventBytes}
	if p.max <= 0 {
		p.max = pipeline.MaxEventBytes
	}
	if opts.NewParser != nil {
		p.parser = opts.NewParser()
	}
	p.router.init(in)
	if opts.JSON {
		p.tail = envelopeTail(in.Meta, opts.Labels)
	}
	return p
}

// Fixed returns a processor that sends every event, as it was read, to
// dest: no parsing, filtering or redaction. Tests of sources use it.
func Fixed(source string, dest pipeline.Dest) *Processor {
	return New(&Options{Source: source, Stats: new(Stats)}, Input{
		Group: Template{{Text: dest.Group}}, Stream: Template{{Text: dest.Stream}}, Profile: dest.Profile,
	})
}

// Line processes one framed event read at readTime (Unix ms) and adds
// what is left of it to g.
func (p *Processor) Line(line []byte, readTime int64, g *pipeline.Group) {
	if !p.keep(line) {
		p.opts.Stats.Filtered.Add(1)
		return
	}
	text := p.redact(line)
	failed := false
	rec := &p.rec
	switch {
	case p.parser == nil:
		rec.Reset()
	default:
		switch p.parser.Parse(text, rec) {
		case record.Partial:
			return
		case record.Failed:
			p.opts.Stats.ParseFailed.Add(1)
			rec.Reset()
			failed = true
		}
	}
	p.emit(rec, text, readTime, failed, g)
}

// Record processes an event that its source parsed itself, such as a
// CloudTrail record: msg is its text, rec its fields.
func (p *Processor) Record(rec *record.Record, msg []byte, readTime int64, g *pipeline.Group) {
	if !p.keep(msg) {
		p.opts.Stats.Filtered.Add(1)
		return
	}
	p.emit(rec, p.redact(msg), readTime, false, g)
}

// Holding reports whether the parser holds part of an event, so that the
// source does not commit its input past it.
func (p *Processor) Holding() bool {
	h, ok := p.parser.(interface{ Holding() bool })
	return ok && h.Holding()
}

// Flush adds the events the parser holds parts of, at the end of an
// input or when it waited too long for the rest.
func (p *Processor) Flush(readTime int64, g *pipeline.Group) {
	f, ok := p.parser.(interface{ Flush(*record.Record) bool })
	for ok && f.Flush(&p.rec) {
		p.emit(&p.rec, p.rec.Message, readTime, false, g)
	}
}

// keep applies the include and exclude rules.
func (p *Processor) keep(line []byte) bool {
	if len(p.opts.Include) > 0 && !matchAny(p.opts.Include, line) {
		return false
	}
	return !matchAny(p.opts.Exclude, line)
}

func matchAny(exprs []*regexp.Regexp, line []byte) bool {
	for _, re := range exprs {
		if re.Match(line) {
			return true
		}
	}
	return false
}

// redact returns line without secrets; line itself when it has none.
func (p *Processor) redact(line []byte) []byte {
	if p.opts.Redact == nil {
		return line
	}
	out, changed := p.opts.Redact.Redact(p.redacted[:0], line)
	if changed {
		p.redacted = out
	}
	return out
}

// emit times, formats and routes an event and adds it to g.
func (p *Processor) emit(rec *record.Record, text []byte, readTime int64, failed bool, g *pipeline.Group) {
	ts := p.time(rec, text, readTime)
	msg := text
	if rec.Unwrap && rec.Message != nil {
		msg = rec.Message
	}
	if p.opts.JSON {
		p.envelope = p.appendEnvelope(p.envelope[:0], rec, text, failed)
		msg = p.envelope
	}
	if len(msg) == 0 {
		p.opts.Stats.Empty.Add(1) // CloudWatch refuses empty messages
		return
	}
	dest, fallback := p.router.route(rec)
	if fallback {
		p.opts.Stats.Fallback.Add(1)
	}
	if len(msg) > p.max {
		p.cut(msg, text, failed, dest, ts, g)
		return
	}
	g.Add(dest, p.opts.Source, ts, msg)
}

// cut adds an event that is too long: raw text is split or truncated as
// the framer would; an envelope is rebuilt without its fields and with
// its message truncated, so that it stays valid JSON.
func (p *Processor) cut(msg, text []byte, failed bool, dest pipeline.Dest, ts int64, g *pipeline.Group) {
	st := p.opts.Stats
	if !p.opts.JSON {
		var c frame.Counts
		frame.Message(msg, p.max, p.opts.Oversize, p.opts.Markers, &c,
			func(piece []byte) { g.Add(dest, p.opts.Source, ts, piece) })
		st.Split.Add(c.Split)
		st.Truncated.Add(c.Truncated)
		return
	}
	st.Truncated.Add(1)
	for n := len(text); ; {
		n = n * 3 / 4
		for n > 0 && !utf8.RuneStart(text[n]) {
			n--
		}
		p.bare.Reset()
		p.bare.Message = append(append(p.bare.Message[:0:0], text[:n]...), frame.TruncatedMarker...)
		p.envelope = p.appendEnvelope(p.envelope[:0], &p.bare, nil, failed)
		if len(p.envelope) <= p.max {
			g.Add(dest, p.opts.Source, ts, p.envelope)
			return
		}
		if n == 0 {
			// Limitation: metadata and labels longer than max_event_bytes
			// leave no room for an envelope; the text goes raw, truncated.
			frame.Message(text, p.max, frame.Truncate, p.opts.Markers, new(frame.Counts),
				func(piece []byte) { g.Add(dest, p.opts.Source, ts, piece) })
			return
		}
	}
}

// time returns the event's time in Unix ms.
func (p *Processor) time(rec *record.Record, text []byte, readTime int64) int64 {
	o := p.opts
	switch {
	case o.TimeField != "":
		if v, _, ok := rec.Get(o.TimeField); ok && o.Time != nil {
			if ms, ok := o.Time.Value(v); ok {
				return ms
			}
		}
	case rec.Time != 0:
		return rec.Time
	case o.Time != nil:
		if ms, ok := o.Time.Leading(text); ok {
			return ms
		}
	}
	if rec.Time != 0 {
		return rec.Time
	}
	return readTime
}
