package agent

import (
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/corral-logs/corral/agent/config"
	"github.com/corral-logs/corral/parsers/container"
	"github.com/corral-logs/corral/parsers/frame"
	"github.com/corral-logs/corral/parsers/jsonl"
	"github.com/corral-logs/corral/parsers/logfmt"
	"github.com/corral-logs/corral/parsers/pattern"
	"github.com/corral-logs/corral/parsers/record"
	"github.com/corral-logs/corral/parsers/redact"
	"github.com/corral-logs/corral/parsers/syslog"
	"github.com/corral-logs/corral/parsers/timestamp"
	"github.com/corral-logs/corral/parsers/web"
	"github.com/corral-logs/corral/pipeline"
	"github.com/corral-logs/corral/pipeline/process"
	"github.com/corral-logs/corral/sources/journald"
)

// processing builds the processing a source's inputs share: its parser,
// time, format, filters, redaction and labels.
func (a *Agent) processing(sc config.Source) (*process.Options, error) {
	opts := &process.Options{
		Source:        sc.Name,
		JSON:          sc.Format == config.FormatJSON,
		Stats:         new(process.Stats),
		Labels:        sortedPairs(sc.MergedLabels),
		MaxEventBytes: a.cfg.CloudWatch.MaxEventBytes,
		Oversize:      frame.Split,
		Markers:       a.cfg.CloudWatch.OversizeMarker,
	}
	if sc.Oversize == config.OversizeTruncate {
		opts.Oversize = frame.Truncate
	}
	if a.redactor != nil {
		opts.Redact = a.redactor
	}
	loc := time.Local // syslog and web servers write local time without a zone
	if ts := sc.Timestamp; ts != nil {
		l, err := time.LoadLocation(ts.Timezone)
		if err != nil {
			return nil, err
		}
		loc = l
		f, err := timestamp.Parse(ts.Format, l, nil)
		if err != nil {
			return nil, err
		}
		opts.Time, opts.TimeField = &f, ts.Field
	}
	newParser, err := parserOf(sc, loc)
	if err != nil {
		return nil, err
	}
	opts.NewParser = newParser
	for _, expr := range sc.IncludeLines {
		opts.Include = append(opts.Include, regexp.MustCompile(expr)) // validated by config
	}
	for _, expr := range sc.ExcludeLines {
		opts.Exclude = append(opts.Exclude, regexp.MustCompile(expr))
	}
	a.mu.Lock()
	a.procStats[sc.Name] = opts.Stats
	a.mu.Unlock()
	return opts, nil
}

// parserOf returns the constructor of a source's parser; nil for none.
func parserOf(sc config.Source, loc *time.Location) (func() record.Parser, error) {
	switch sc.Parser {
	case config.ParserJSON:
		return func() record.Parser { return jsonl.New() }, nil
	case config.ParserLogfmt:
		return func() record.Parser { return logfmt.New() }, nil
	case config.ParserRegex:
		if _, err := pattern.New(sc.Pattern); err != nil {
			return nil, err
		}
		return func() record.Parser {
			p, _ := pattern.New(sc.Pattern) // compiled once above
			return p
		}, nil
	case config.ParserSyslog:
		return func() record.Parser { return syslog.New(loc, nil) }, nil
	case config.ParserCRI:
		return func() record.Parser { return container.NewCRI() }, nil
	case config.ParserDocker:
		return func() record.Parser { return container.NewDocker() }, nil
	case config.ParserNginx:
		return func() record.Parser { return web.NewNginx(loc) }, nil
	case config.ParserApache:
		return func() record.Parser { return web.NewApache() }, nil
	}
	return nil, nil
}

// fileProcess returns the processor factory of a file source: one
// processor per file, its templates filled in with the file's names.
func (a *Agent) fileProcess(sc config.Source, profile int, opts *process.Options) func(string) *process.Processor {
	return func(path string) *process.Processor {
		id := a.identityOf(path)
		lookup := func(name string) string {
			switch name {
			case "file_name":
				return filepath.Base(path)
			case "file_path":
				return path
			}
			return id.Lookup(name)
		}
		var meta [][2]string
		if opts.JSON {
			meta = append(id.Fields(), [2]string{"file_path", path})
		}
		return process.New(opts, a.input(sc, profile, lookup, meta))
	}
}

// journalProcess returns the processor factory of a journald source: one
// processor per distinct entry metadata. An entry without _HOSTNAME takes
// the agent's host name.
func (a *Agent) journalProcess(sc config.Source, profile int, opts *process.Options) func(journald.Meta) *process.Processor {
	return func(m journald.Meta) *process.Processor {
		lookup := func(name string) string {
			switch name {
			case "unit":
				return m.Unit
			case "priority":
				return m.Priority
			case "identifier":
				return m.Identifier
			case "hostname":
				if m.Hostname != "" {
					return m.Hostname
				}
			}
			return a.host.Lookup(name)
		}
		var meta [][2]string
		if opts.JSON {
			meta = a.host.Fields()
			for _, kv := range [][2]string{{"unit", m.Unit}, {"identifier", m.Identifier}, {"priority", m.Priority}} {
				if kv[1] != "" {
					meta = append(meta, kv)
				}
			}
		}
		return process.New(opts, a.input(sc, profile, lookup, meta))
	}
}

// input fills a source's templates for one input: every placeholder but
// the event's fields.
func (a *Agent) input(sc config.Source, profile int, lookup func(string) string, meta [][2]string) process.Input {
	return process.Input{
		Group:          fill(sc.GroupTemplate, lookup),
		Stream:         fill(sc.StreamTemplate, lookup),
		FallbackGroup:  pipeline.SanitizeGroup(sc.FallbackGroupTemplate.Expand(lookup)),
		FallbackStream: pipeline.SanitizeStream(sc.FallbackStreamTemplate.Expand(lookup)),
		Profile:        profile,
		Meta:           meta,
	}
}

// fill turns a config template into a routing template: placeholders of
// the input are filled in, fields are left for each event.
func fill(t config.Template, lookup func(string) string) process.Template {
	var out process.Template
	for _, p := range t.Parts() {
		switch {
		case !p.Placeholder:
			out = append(out, process.Part{Text: p.Text})
		case strings.HasPrefix(p.Text, config.FieldPrefix):
			out = append(out, process.Part{Text: strings.TrimPrefix(p.Text, config.FieldPrefix), Field: true})
		default:
			out = append(out, process.Part{Text: lookup(p.Text)})
		}
	}
	return out
}

// sortedPairs returns m as key-value pairs sorted by key.
func sortedPairs(m map[string]string) [][2]string {
	var out [][2]string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, [2]string{k, m[k]})
	}
	return out
}

// userRules converts the config's redaction rules.
func userRules(rules []config.RedactRule) []redact.UserRule {
	out := make([]redact.UserRule, len(rules))
	for i, r := range rules {
		out[i] = redact.UserRule{Name: r.Name, Pattern: r.Pattern, Replacement: r.Replacement}
	}
	return out
}
