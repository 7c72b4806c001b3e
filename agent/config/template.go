package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/corral-logs/corral/agent/identity"
)

// Placeholders a name template may use. Each list is the one place its
// names are defined; later sources add theirs here.
var (
	// HostPlaceholders describe the host and fit any template, including
	// the STS session name.
	HostPlaceholders = []string{"hostname"}

	// IdentityPlaceholders describe the EC2 instance and the ECS task
	// corral runs in (empty elsewhere); they fit log group and log stream
	// templates. The agent learns them at start only when a template or
	// a JSON envelope uses them.
	IdentityPlaceholders = slices.DeleteFunc(identity.Placeholders(), func(n string) bool { return n == "hostname" })

	// FilePlaceholders fit log group and log stream templates of file
	// sources: the host's placeholders, its identity, those of the file
	// being read, and the event's parsed fields.
	FilePlaceholders = slices.Concat(HostPlaceholders, IdentityPlaceholders,
		[]string{"file_name", "file_path", FieldPlaceholder})
	// JournalPlaceholders fit log group and log stream templates of
	// journald sources: the entry's systemd unit, its priority name and
	// its syslog identifier.
	JournalPlaceholders = slices.Concat(HostPlaceholders, IdentityPlaceholders,
		[]string{"unit", "priority", "identifier", FieldPlaceholder})
	// S3Placeholders fit log group and log stream templates of s3
	// sources: the object's bucket and key, and the record's fields.
	S3Placeholders = slices.Concat(HostPlaceholders, IdentityPlaceholders,
		[]string{"bucket", "key", FieldPlaceholder})
)

// FieldPlaceholder in a list of allowed names admits {field.NAME}: the
// value of the event's parsed field NAME.
const FieldPlaceholder = "field.*"

// FieldPrefix starts the name of a field placeholder.
const FieldPrefix = "field."

// Template is a parsed name template such as "/corral/{hostname}/{file_name}":
// literal text with placeholders in braces. The zero Template expands to
// the empty string.
type Template struct {
	raw   string
	parts []templatePart
}

// templatePart is literal text, or a placeholder name when placeholder is
// set.
type templatePart struct {
	text        string
	placeholder bool
}

// ParseTemplate parses s, accepting only the placeholder names in allowed.
// A brace without its partner, an empty placeholder and an unknown name are
// errors.
func ParseTemplate(s string, allowed []string) (Template, error) {
	t := Template{raw: s}
	rest := s
	for rest != "" {
		open := strings.IndexAny(rest, "{}")
		if open < 0 {
			t.parts = append(t.parts, templatePart{text: rest})
			break
		}
		offset := len(s) - len(rest) + open
		if rest[open] == '}' {
			return Template{}, fmt.Errorf(`unbalanced braces: "}" at byte %d has no "{"`, offset)
		}
		end := strings.IndexAny(rest[open+1:], "{}")
		if end < 0 || rest[open+1+end] == '{' {
			return Template{}, fmt.Errorf(`unbalanced braces: "{" at byte %d is not closed`, offset)
		}
		name := rest[open+1 : open+1+end]
		if name == "" {
			return Template{}, fmt.Errorf("empty placeholder {} at byte %d", offset)
		}
		if !slices.Contains(allowed, name) && !isField(name, allowed) {
			known := strings.Replace(strings.Join(allowed, ", "), FieldPlaceholder, "field.NAME", 1)
			return Template{}, fmt.Errorf("unknown placeholder {%s} (known: %s)", name, known)
		}
		if open > 0 {
			t.parts = append(t.parts, templatePart{text: rest[:open]})
		}
		t.parts = append(t.parts, templatePart{text: name, placeholder: true})
		rest = rest[open+1+end+1:]
	}
	return t, nil
}

// isField reports whether name is a field placeholder that allowed admits.
func isField(name string, allowed []string) bool {
	return len(name) > len(FieldPrefix) && strings.HasPrefix(name, FieldPrefix) &&
		slices.Contains(allowed, FieldPlaceholder)
}

// mustParseTemplate parses a template that is known to be valid, such as a
// default.
func mustParseTemplate(s string, allowed []string) Template {
	t, err := ParseTemplate(s, allowed)
	if err != nil {
		panic("config: bad built-in template " + s + ": " + err.Error())
	}
	return t
}

// String returns the template as it was written.
func (t Template) String() string { return t.raw }

// Expand returns the template with each placeholder replaced by
// lookup(name); lookup returns "" for a name it does not know. Expand does
// not sanitize: pass the result to SanitizeGroup or SanitizeStream.
func (t Template) Expand(lookup func(name string) string) string {
	var b strings.Builder
	for _, p := range t.parts {
		if p.placeholder {
			b.WriteString(lookup(p.text))
		} else {
			b.WriteString(p.text)
		}
	}
	return b.String()
}

// Names returns the placeholder names in the template, each once, in the
// order they first appear. A caller can use it to learn whether a name
// depends on the file (and so needs one stream per file).
func (t Template) Names() []string {
	var names []string
	for _, p := range t.parts {
		if p.placeholder && !slices.Contains(names, p.text) {
			names = append(names, p.text)
		}
	}
	return names
}

// TemplatePart is literal text, or a placeholder's name.
type TemplatePart struct {
	Text        string
	Placeholder bool
}

// Parts returns the template's pieces in order.
func (t Template) Parts() []TemplatePart {
	parts := make([]TemplatePart, len(t.parts))
	for i, p := range t.parts {
		parts[i] = TemplatePart{Text: p.text, Placeholder: p.placeholder}
	}
	return parts
}

// HasFields reports whether the template uses an event's parsed fields.
func (t Template) HasFields() bool {
	for _, p := range t.parts {
		if p.placeholder && strings.HasPrefix(p.text, FieldPrefix) {
			return true
		}
	}
	return false
}

// literal returns the template's text outside placeholders.
func (t Template) literal() string {
	var b strings.Builder
	for _, p := range t.parts {
		if !p.placeholder {
			b.WriteString(p.text)
		}
	}
	return b.String()
}
