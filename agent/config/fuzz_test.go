package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// FuzzParse checks that Parse never panics, returns either a config or
// problems, formats every problem fully, and that a config it accepts
// marshals back to YAML that parses to the same config.
func FuzzParse(f *testing.F) {
	full, err := os.ReadFile(filepath.Join("testdata", "full.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(full)
	f.Add([]byte(minimal))
	f.Add([]byte(""))
	f.Add([]byte("sources: [{type: file, paths: [/x], name: a}, {type: file, paths: [/y], name: a}]"))
	f.Add([]byte("cloudwatch: {flush_intervall: 1s, concurrency: x}\nsources: [{type: file, paths: []}]"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("sources: &s [{type: file, paths: [/x]}]\ncloudwatch: {log_group: *s}\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("f.yaml", data)
		if err != nil {
			checkProblems(t, data, err)
			return
		}
		if cfg == nil {
			t.Fatal("Parse returned neither a config nor an error")
		}
		checkDefaultsFilled(t, cfg)

		out, err := yaml.Marshal(cfg)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		again, err := Parse("f.yaml", out)
		if err != nil {
			t.Fatalf("Parse of marshalled config: %v\n%s", err, out)
		}
		if diff := cmp.Diff(cfg, again, cmpTemplates); diff != "" {
			t.Errorf("round trip mismatch (-want +got):\n%s", diff)
		}
	})
}

func checkProblems(t *testing.T, data []byte, err error) {
	var problems Errors
	if !errors.As(err, &problems) || len(problems) == 0 {
		t.Fatalf("Parse error %T %v, want non-empty Errors", err, err)
	}
	// YAML breaks lines at \n, \r and, in YAML 1.1, NEL, LS and PS; count
	// each as one for an upper bound.
	lines := 1
	for _, brk := range []string{"\n", "\r", "\u0085", "\u2028", "\u2029"} {
		lines += strings.Count(string(data), brk)
	}
	if bytes.HasPrefix(data, []byte("\xfe\xff")) || bytes.HasPrefix(data, []byte("\xff\xfe")) {
		lines = len(data) // UTF-16: every other byte pair may be a break
	}
	for _, p := range problems {
		if p.File != "f.yaml" || p.Reason == "" || p.Line < 0 || p.Line > lines {
			t.Errorf("bad problem %+v in a file of %d lines", p, lines)
		}
	}
	if got := strings.Count(problems.Error(), "\n") + 1; got < len(problems) {
		t.Errorf("Error() has %d lines for %d problems", got, len(problems))
	}
}

// checkDefaultsFilled checks the promise that callers never see a zero
// value where a default exists.
func checkDefaultsFilled(t *testing.T, cfg *Config) {
	cw := cfg.CloudWatch
	if cfg.StateDir == "" || cfg.ShutdownTimeout <= 0 || cfg.Log.Level == "" || cfg.Log.Format == "" ||
		cfg.Buffer.MaxBytes < minBufferBytes || cw.FlushInterval <= 0 || cw.MaxEventBytes <= 0 ||
		cw.Oversize == "" || cw.Concurrency <= 0 || cw.GroupTemplate.String() == "" ||
		cw.StreamTemplate.String() == "" || len(cfg.Sources) == 0 {
		t.Errorf("config has a zero value where a default belongs: %+v", cfg)
	}
	r := cfg.AWS.AssumeRole
	if r != nil && (r.RoleARN == "" || r.SessionTemplate.String() == "" || r.Duration <= 0) {
		t.Errorf("assume_role has a zero value where a default belongs: %+v", r)
	}
	for i, s := range cfg.Sources {
		if s.Name == "" || len(s.Paths) == 0 || s.StartAt == "" || s.PartialLineTimeout <= 0 ||
			s.Oversize == "" || s.GroupTemplate.String() == "" || s.StreamTemplate.String() == "" {
			t.Errorf("sources[%d] has a zero value where a default belongs: %+v", i, s)
		}
	}
}
