// Package pattern parses lines with a Go regular expression whose named
// groups become fields.
//
// The expression is Go's RE2 syntax (package regexp) and matches anywhere
// in the line, leftmost first; anchor it with ^ and $ to match whole
// lines. Each named group, (?P<name>...) or (?<name>...), becomes a
// record.String field holding the text it matched, in the order the
// groups open in the expression. A group that took no part in the match
// (one side of an alternation, an optional group) gives no field; a group
// that matched nothing gives an empty one. Unnamed groups give no field,
// and a name used twice gives two fields. A line the expression does not
// match is Failed.
//
// The parser sets neither Time nor Message.
package pattern

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/corral-logs/corral/parsers/record"
)

// ErrNoNames is returned for an expression without a named group: it
// could never give a field.
var ErrNoNames = errors.New("pattern: no named group, so no field to fill (use (?P<name>...))")

// Parser parses lines with one regular expression. It is safe for
// concurrent use and keeps no state from one line to the next.
type Parser struct {
	re     *regexp.Regexp
	groups []group // the named groups, in order
}

// group is a named capture group: its name and its index among the
// expression's groups.
type group struct {
	name  string
	index int
}

// New compiles expr. It fails if expr does not compile or has no named
// group.
func New(expr string) (*Parser, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("compile pattern: %w", err)
	}
	p := &Parser{re: re}
	for i, name := range re.SubexpNames() {
		if name != "" {
			p.groups = append(p.groups, group{name: name, index: i})
		}
	}
	if len(p.groups) == 0 {
		return nil, fmt.Errorf("%w: %q", ErrNoNames, expr)
	}
	return p, nil
}

// Parse resets r and fills it with the named groups of the expression's
// first match in line.
//
// Limitation: regexp has no way to match into a caller's slice, so each
// match allocates its index slice (and the engine may allocate a little
// more for long lines); a few allocations per line, unlike the other
// parsers.
func (p *Parser) Parse(line []byte, r *record.Record) record.Result {
	r.Reset()
	loc := p.re.FindSubmatchIndex(line)
	if loc == nil {
		return record.Failed
	}
	for _, g := range p.groups {
		start, end := loc[2*g.index], loc[2*g.index+1]
		if start < 0 {
			continue // the group took no part in the match
		}
		r.AddString(g.name, line[start:end])
	}
	return record.Parsed
}
