package pipeline

import (
	"strings"
	"unicode/utf8"
)

// maxNameBytes is the longest log group or log stream name CloudWatch Logs
// accepts (CreateLogGroup and CreateLogStream API references: 1 to 512).
const maxNameBytes = 512

// SanitizeGroup maps s to a valid CloudWatch Logs group name: 1 to 512 of
// [.-_/#A-Za-z0-9]. Every other rune, and every byte that is not valid
// UTF-8, becomes '_'; a leading "aws/", which the service reserves, gets a
// '_' prefix; an empty result becomes "_"; the result is cut to 512 bytes.
func SanitizeGroup(s string) string {
	var b strings.Builder
	for _, r := range s {
		if isGroupRune(r) {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	out := b.String()
	if strings.HasPrefix(out, "aws/") {
		out = "_" + out
	}
	if out == "" {
		return "_"
	}
	// Every rune left is one ASCII byte, so any cut is on a rune boundary.
	return out[:min(len(out), maxNameBytes)]
}

func isGroupRune(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' ||
		strings.ContainsRune("._-/#", r)
}

// SanitizeStream maps s to a valid CloudWatch Logs stream name: 1 to 512
// bytes of valid UTF-8 without ':' or '*'. Those two characters, and every
// byte that is not valid UTF-8, become '_'; an empty result becomes "_"; the
// result is cut to 512 bytes on a rune boundary.
func SanitizeStream(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r == ':' || r == '*' || r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD") {
			r = '_'
		}
		if b.Len()+utf8.RuneLen(r) > maxNameBytes {
			break
		}
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}
