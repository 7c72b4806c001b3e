package pipeline

import (
	"strings"
	"testing"
	"unicode/utf8"
)

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
