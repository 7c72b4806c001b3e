package agent

import (
	"regexp"
	"time"

	"github.com/corral-logs/corral/agent/config"
	"github.com/corral-logs/corral/parsers/frame"
	"github.com/corral-logs/corral/parsers/multiline"
	"github.com/corral-logs/corral/pipeline/process"
	"github.com/corral-logs/corral/sources/file"
)

// newFileSource builds a file source from its config.
func (a *Agent) newFileSource(sc config.Source, proc func(string) *process.Processor) (Source, error) {
	oversize := frame.Split
	if sc.Oversize == config.OversizeTruncate {
		oversize = frame.Truncate
	}
	enc, err := frame.ParseEncoding(sc.Encoding)
	if err != nil {
		return nil, err
	}
	opts := file.Options{
		Name:               sc.Name,
		Paths:              sc.Paths,
		Exclude:            sc.Exclude,
		StartAtEnd:         sc.StartAt == config.StartEnd,
		Process:            proc,
		MaxEventBytes:      a.cfg.CloudWatch.MaxEventBytes,
		Oversize:           oversize,
		NoMarkers:          !a.cfg.CloudWatch.OversizeMarker,
		Encoding:           enc,
		PartialLineTimeout: time.Duration(sc.PartialLineTimeout),
		StateDir:           a.cfg.StateDir,
		MaxOpenFiles:       sc.MaxOpenFiles,
		ForgetAfter:        time.Duration(sc.ForgetAfter),
		Pipeline:           a.pipe,
		Log:                a.log.Named("file"),
	}
	if m := sc.Multiline; m != nil {
		rule, err := multilineRule(m)
		if err != nil {
			return nil, err
		}
		opts.Multiline = &rule
		opts.MultilineTimeout = time.Duration(m.Timeout)
	}
	return file.New(opts)
}

// multilineRule builds the grouping rule of a multiline config.
func multilineRule(m *config.Multiline) (multiline.Rule, error) {
	var rule multiline.Rule
	if m.Preset != "" {
		r, err := multiline.Preset(m.Preset)
		if err != nil {
			return rule, err
		}
		rule = r
	}
	if m.Start != "" {
		rule.Start = regexp.MustCompile(m.Start) // validated by config
	}
	if m.Continue != "" {
		rule.Continue = regexp.MustCompile(m.Continue)
	}
	rule.MaxLines = m.MaxLines
	rule.MaxBytes = int(m.MaxBytes)
	return rule, nil
}
