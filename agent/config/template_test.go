package config

import (
	"strings"
	"testing"
	"unicode/utf8"

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
			"unknown placeholder {fiel_name} (known: hostname, file_name, file_path)"},
		{"corral-{file_name}", HostPlaceholders, "unknown placeholder {file_name} (known: hostname)"},
		{"{Hostname}", FilePlaceholders,
			"unknown placeholder {Hostname} (known: hostname, file_name, file_path)"},
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

func TestSanitizeGroup(t *testing.T) {
	long := strings.Repeat("a", 600)
	tests := []struct {
		name, in, want string
	}{
		{"valid", "/corral/web-1/app_log.2#x", "/corral/web-1/app_log.2#x"},
		{"empty", "", "_"},
		{"spaces and colons", "my app:prod", "my_app_prod"},
		{"reserved prefix", "aws/x", "_aws/x"},
		{"reserved prefix only at start", "/aws/x", "/aws/x"},
		{"prefix is case-sensitive", "AWS/x", "AWS/x"},
		{"unicode rune is one underscore", "/corral/héllo/日本", "/corral/h_llo/__"},
		{"invalid utf-8 byte", "a\xffb", "a_b"},
		{"600 bytes cut to 512", long, long[:512]},
		{"reserved prefix then cut", "aws/" + long, "_aws/" + long[:507]},
		{"unicode over the limit", strings.Repeat("é", 600), strings.Repeat("_", 512)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SanitizeGroup(tt.in); got != tt.want {
				t.Errorf("SanitizeGroup(%q):\ngot  %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSanitizeStream(t *testing.T) {
	long := strings.Repeat("a", 600)
	tests := []struct {
		name, in, want string
	}{
		{"valid", "web-1/syslog", "web-1/syslog"},
		{"empty", "", "_"},
		{"colon and star", "host:80/*.log", "host_80/_.log"},
		{"unicode kept", "журнал/日本 log", "журнал/日本 log"},
		{"aws prefix allowed", "aws/x", "aws/x"},
		{"invalid utf-8 byte", "a\xffb", "a_b"},
		{"replacement character kept", "a\uFFFDb", "a\uFFFDb"},
		{"600 bytes cut to 512", long, long[:512]},
		// 511 ASCII bytes leave one byte, too few for a two-byte rune.
		{"cut on a rune boundary", long[:511] + "éé", long[:511]},
		{"three-byte runes", strings.Repeat("日", 200), strings.Repeat("日", 170)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SanitizeStream(tt.in)
			if got != tt.want {
				t.Errorf("SanitizeStream(%q):\ngot  %q\nwant %q", tt.in, got, tt.want)
			}
			if !utf8.ValidString(got) || len(got) > 512 {
				t.Errorf("SanitizeStream(%q) = %q: not valid UTF-8 of at most 512 bytes", tt.in, got)
			}
		})
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"", "aws/x", "a:b*c", "héllo", "\xff", strings.Repeat("日", 200)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g := SanitizeGroup(s)
		if len(g) == 0 || len(g) > 512 || strings.HasPrefix(g, "aws/") {
			t.Errorf("SanitizeGroup(%q) = %q: breaks the length or prefix rule", s, g)
		}
		for _, r := range g {
			if !isGroupRune(r) {
				t.Errorf("SanitizeGroup(%q) = %q: holds %q", s, g, r)
			}
		}
		st := SanitizeStream(s)
		if len(st) == 0 || len(st) > 512 || !utf8.ValidString(st) || strings.ContainsAny(st, ":*") {
			t.Errorf("SanitizeStream(%q) = %q: breaks a stream name rule", s, st)
		}
	})
}
