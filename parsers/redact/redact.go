// Package redact hides secrets in log events before they leave the host:
// passwords, tokens, keys. Each match of a rule becomes [REDACTED:<rule>],
// or, for a rule that keeps context, only the secret part does
// (password=[REDACTED:password_field]).
//
// Redaction runs on every event, so a line holding no secret must cost
// next to nothing. Each rule therefore has anchors, literals one of which
// any match contains: "eyJ" for a JSON web token, "Bearer" in any case, a
// key name such as "password" right before '=' or ':'. A rule's pattern
// runs only on a message holding one of its anchors. The anchors of all
// rules are found together, without allocating: one vector pass marks
// every byte they are looked for by (seven for the built-in rules), or,
// where that cannot be done, one bytes.IndexByte pass per byte. When a
// built-in rule's pattern does run, it runs from the first anchor on, so
// a secret at the end of a long line costs little; a user rule's pattern
// runs over the whole message, and its anchor is its literal prefix, when
// it has one.
//
// Rules run in order, each on the previous one's output. A rule does not
// redact what an earlier rule already did: a match that would only change
// markers (password=[REDACTED:jwt] into password=[REDACTED:password_field])
// is left as it is. So redacting an already redacted message changes
// nothing.
//
// Redaction is a best effort over known shapes of secrets; it cannot
// recognise a secret that has no name or shape in the line (a password
// logged alone, say).
package redact

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Redactor applies an ordered set of rules. It is safe for concurrent
// use; a nil *Redactor redacts nothing.
type Redactor struct {
	rules  []Rule
	marks  [][]byte       // marks[i] is Marker(rules[i].Name)
	counts []atomic.Int64 // counts[i] is the matches rules[i] redacted

	pre    prefilter    // the anchors of rules 0 to 63
	own    []*prefilter // own[i]: the anchors of rule i alone; nil when it has none
	always bool         // some rule has no anchor in pre
}

// UserRule is a rule from configuration.
type UserRule struct {
	Name    string // must differ from every enabled built-in rule's name
	Pattern string // RE2 syntax, as package regexp takes it
	// Replacement is a template for regexp.Regexp.Expand ($1, ${name});
	// empty means the whole match becomes [REDACTED:<Name>].
	Replacement string
}

// RuleCount is how many matches a rule has redacted.
type RuleCount struct {
	Rule     string
	Redacted int64
}

// New returns a Redactor running the built-in rules, less those named in
// disabled, then the user rules in their order. A name in disabled that is
// no built-in rule, a user rule whose name is empty, taken or holds other
// than letters, digits, '_', '.' and '-', and a pattern that does not
// compile or matches the empty string are errors.
func New(disabled []string, user []UserRule) (*Redactor, error) {
	for _, name := range disabled {
		if !slices.ContainsFunc(builtin, func(r Rule) bool { return r.Name == name }) {
			return nil, fmt.Errorf("disable %q: no built-in rule has that name (built-in rules: %s)",
				name, strings.Join(builtinNames(), ", "))
		}
	}
	var rules []Rule
	for _, r := range builtin {
		if !slices.Contains(disabled, r.Name) {
			rules = append(rules, r)
		}
	}
	for i, u := range user {
		r, err := compile(u)
		if err != nil {
			return nil, fmt.Errorf("rule %d: %w", i+1, err)
		}
		if slices.ContainsFunc(rules, func(o Rule) bool { return o.Name == r.Name }) {
			return nil, fmt.Errorf("rule %d: name %q is taken by another rule", i+1, r.Name)
		}
		rules = append(rules, r)
	}

	red := &Redactor{rules: rules, counts: make([]atomic.Int64, len(rules)),
		own: make([]*prefilter, len(rules))}
	for i, r := range rules {
		red.marks = append(red.marks, []byte(Marker(r.Name)))
		if r.anchors == nil {
			red.always = true
			continue
		}
		red.own[i] = new(prefilter)
		red.own[i].add(1, r.anchors)
		if ruleBit(i) == 0 {
			red.always = true
			continue
		}
		red.pre.add(ruleBit(i), r.anchors)
	}
	return red, nil
}

// compile turns a user rule into a Rule.
func compile(u UserRule) (Rule, error) {
	if u.Name == "" {
		return Rule{}, errors.New("empty name")
	}
	if strings.IndexFunc(u.Name, func(c rune) bool {
		return !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '_' || c == '.' || c == '-')
	}) >= 0 {
		return Rule{}, fmt.Errorf("name %q: only letters, digits, '_', '.' and '-' may be used", u.Name)
	}
	re, err := regexp.Compile(u.Pattern)
	if err != nil {
		return Rule{}, fmt.Errorf("%s: compile pattern: %w", u.Name, err)
	}
	if re.MatchString("") {
		return Rule{}, fmt.Errorf("%s: pattern %q matches the empty string", u.Name, u.Pattern)
	}
	r := Rule{Name: u.Name, Pattern: re, Replace: u.Replacement}
	if prefix, _ := re.LiteralPrefix(); prefix != "" {
		r.anchors = literalAnchors(prefix)
	}
	return r, nil
}

// builtinNames returns the names of the built-in rules in order.
func builtinNames() []string {
	names := make([]string, len(builtin))
	for i, r := range builtin {
		names[i] = r.Name
	}
	return names
}

// Redact returns msg with every secret the rules find replaced. The result
// is appended to dst[:0], reusing its memory; dst must not overlap msg.
// When nothing was redacted, Redact returns msg itself and false, copying
// nothing: a caller reusing a buffer keeps the result as its next dst only
// when changed is true.
func (r *Redactor) Redact(dst, msg []byte) (out []byte, changed bool) {
	if r == nil {
		return msg, false
	}
	found := r.pre.scan(msg, 0)
	if found == 0 && !r.always {
		return msg, false
	}

	// cur is msg until a rule changes it; then it is in dst or in a
	// pooled spare, and the next rule to change it writes into the other.
	const inMsg, inDst, inSpare = 0, 1, 2
	cur, where := msg, inMsg
	var spare *[]byte
	for i := range r.rules {
		if !r.mayMatch(i, cur, found) {
			continue
		}
		// Run the pattern from the first anchor's run of non-blank bytes:
		// a secret at the end of a long line costs little.
		from := 0
		if r.rules[i].fromAnchor {
			if from = r.own[i].first(cur); from < 0 {
				continue
			}
			from = tokenStart(cur, from)
		}
		locs := r.rules[i].Pattern.FindAllSubmatchIndex(cur[from:], -1)
		if locs == nil {
			continue
		}
		var n int
		if where != inDst {
			dst, n = r.apply(i, dst[:0], cur, from, locs)
			if n > 0 {
				cur, where = dst, inDst
			}
		} else {
			if spare == nil {
				spare = spares.Get().(*[]byte)
			}
			*spare, n = r.apply(i, (*spare)[:0], cur, from, locs)
			if n > 0 {
				cur, where = *spare, inSpare
			}
		}
		if n > 0 {
			// A replacement may have removed or (a user rule's) added
			// anchors of the rules after this one.
			found = r.pre.scan(cur, 0)
		}
	}
	if where == inSpare {
		dst = append(dst[:0], cur...)
		cur = dst
	}
	if spare != nil && cap(*spare) <= maxSpare {
		spares.Put(spare)
	}
	return cur, where != inMsg
}

// mayMatch reports whether rule i's pattern can match msg, whose anchors
// of the first 64 rules are found.
func (r *Redactor) mayMatch(i int, msg []byte, found uint64) bool {
	switch {
	case r.rules[i].anchors == nil:
		return true
	case ruleBit(i) == 0:
		return r.own[i].scan(msg, 0) != 0
	default:
		return found&ruleBit(i) != 0
	}
}

// apply appends msg to dst with rule i's matches replaced, and returns it
// with the number of matches replaced, which it counts. The matches are
// at locs in msg[from:].
func (r *Redactor) apply(i int, dst, msg []byte, from int, locs [][]int) ([]byte, int) {
	rule := &r.rules[i]
	dst = append(dst, msg[:from]...)
	src := msg[from:]
	n, last := 0, 0
	for _, loc := range locs {
		if loc[0] == loc[1] {
			continue // an empty match hides nothing
		}
		dst = append(dst, src[last:loc[0]]...)
		start := len(dst)
		if rule.Replace == "" {
			dst = append(dst, r.marks[i]...)
		} else {
			dst = rule.Pattern.Expand(dst, []byte(rule.Replace), src, loc)
		}
		match := src[loc[0]:loc[1]]
		if sameOutsideMarkers(match, dst[start:]) {
			// Already redacted, by this rule or an earlier one.
			dst = append(dst[:start], match...)
		} else {
			n++
		}
		last = loc[1]
	}
	if n > 0 {
		r.counts[i].Add(int64(n))
	}
	return append(dst, src[last:]...), n
}

// sameOutsideMarkers reports whether a and b are equal once every marker
// is taken out of both.
func sameOutsideMarkers(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	if !bytes.Contains(a, []byte(markerOpen)) {
		return false
	}
	return bytes.Equal(withoutMarkers(a), withoutMarkers(b))
}

// withoutMarkers returns b less its markers.
func withoutMarkers(b []byte) []byte {
	var out []byte
	for {
		i := bytes.Index(b, []byte(markerOpen))
		if i < 0 {
			return append(out, b...)
		}
		end := bytes.IndexByte(b[i:], ']')
		if end < 0 {
			return append(out, b...)
		}
		out = append(out, b[:i]...)
		b = b[i+end+1:]
	}
}

// Counts returns, for each rule in the order they run, how many matches
// it has redacted since New.
func (r *Redactor) Counts() []RuleCount {
	if r == nil {
		return nil
	}
	counts := make([]RuleCount, len(r.rules))
	for i := range r.rules {
		counts[i] = RuleCount{Rule: r.rules[i].Name, Redacted: r.counts[i].Load()}
	}
	return counts
}

// spares hold the second buffer of messages that more than one rule
// changes.
var spares = sync.Pool{New: func() any { return new([]byte) }}

// maxSpare is the largest spare buffer returned to the pool, so that one
// huge event does not pin its memory.
const maxSpare = 256 << 10
