package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseTemplate(t *testing.T) {
	vars := map[string]string{
		"hostname":  "web-1",
		"file_name": "syslog",
		"file_path": "/var/log/syslog",
	}
	lookup := func(name string) string { return vars[name] }
	tests := []struct {
		in         string
		wantExpand string
		wantNames  []string
	}{
		{"", "", nil},
		{"/corral/static", "/corral/static", nil},
		{"{hostname}", "web-1", []string{"hostname"}},
		{"/corral/{hostname}/{file_name}", "/corral/web-1/syslog", []string{"hostname", "file_name"}},
		{"{file_name}{file_name}", "syslogsyslog", []string{"file_name"}},
		{"{file_path}:{hostname}", "/var/log/syslog:web-1", []string{"file_path", "hostname"}},
		{"é/{hostname}/ü", "é/web-1/ü", []string{"hostname"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			tmpl, err := ParseTemplate(tt.in, FilePlaceholders)
			if err != nil {
				t.Fatalf("ParseTemplate(%q): %v", tt.in, err)
			}
			if got := tmpl.Expand(lookup); got != tt.wantExpand {
				t.Errorf("Expand: got %q, want %q", got, tt.wantExpand)
			}
			if diff := cmp.Diff(tt.wantNames, tmpl.Names()); diff != "" {
				t.Errorf("Names mismatch (-want +got):\n%s", diff)
			}
			if got := tmpl.String(); got != tt.in {
				t.Errorf("String: got %q, want %q", got, tt.in)
			}
		})
	}
}

func TestExpandMissingNameIsEmpty(t *testing.T) {
	tmpl := mustParseTemplate("/corral/{hostname}/x", HostPlaceholders)
	if got, want := tmpl.Expand(func(string) string { return "" }), "/corral//x"; got != want {
		t.Errorf("Expand: got %q, want %q", got, want)
	}
	if got := (Template{}).Expand(func(string) string { return "x" }); got != "" {
		t.Errorf("zero Template Expand: got %q, want empty", got)
	}
}

func TestParseTemplateErrors(t *testing.T) {
	tests := []struct {
		in      string
		allowed []string
		want    string
	}{
		{"/corral/{fiel_name}", FilePlaceholders,
			"unknown placeholder {fiel_name} " + known},
		{"corral-{file_name}", HostPlaceholders, "unknown placeholder {file_name} (known: hostname)"},
		{"{Hostname}", FilePlaceholders,
			"unknown placeholder {Hostname} " + known},
		{"/corral/{hostname", FilePlaceholders, `unbalanced braces: "{" at byte 8 is not closed`},
		{"/corral/hostname}", FilePlaceholders, `unbalanced braces: "}" at byte 16 has no "{"`},
		{"{{hostname}}", FilePlaceholders, `unbalanced braces: "{" at byte 0 is not closed`},
		{"{hostname}}", FilePlaceholders, `unbalanced braces: "}" at byte 10 has no "{"`},
		{"a{}b", FilePlaceholders, "empty placeholder {} at byte 1"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseTemplate(tt.in, tt.allowed)
			if err == nil {
				t.Fatalf("ParseTemplate(%q) succeeded, want error %q", tt.in, tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("ParseTemplate(%q) error:\ngot  %s\nwant %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestSessionName(t *testing.T) {
	for in, want := range map[string]string{
		"corral-ip-10-0-0-1.ec2.internal": "corral-ip-10-0-0-1.ec2.internal",
		"corral-host name/with:odd*chars": "corral-host-name-with-odd-chars",
		"corral-héte":                     "corral-h-te",
		"x":                               "x-",
		strings.Repeat("a", 70):           strings.Repeat("a", 64),
	} {
		r := AssumeRole{SessionTemplate: mustParseTemplate(strings.ReplaceAll(in, "{", ""), nil)}
		if got := r.Session(nil); got != want {
			t.Errorf("Session(%q) = %q, want %q", in, got, want)
		}
	}
}
