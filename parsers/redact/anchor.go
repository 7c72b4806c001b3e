package redact

import (
	"bytes"
	"math/bits"

	"github.com/corral-logs/corral/internal/byteset"
)

// anchor is a literal that every match of a rule contains. A rule with
// anchors runs its pattern only on messages holding one of them.
//
// An anchor is found by one byte of it: the search stops at each
// occurrence of that byte and compares the literal around it. The
// prefilter marks the bytes of all rules in one vector pass (package
// byteset) where it can, else makes one pass per distinct byte
// (bytes.IndexByte); either way each stop costs, so the built-in rules
// choose bytes that are rare in logs ('J' of "eyJ", 'A' of "AKIA") or
// shared (the ':' after a key name finds "://" too).
type anchor struct {
	lit  string // lower case when fold or key
	fold bool   // ASCII letters compare case-insensitively
	by   byte   // the byte searched for
	// key: lit is a key name, and by ('=' or ':') follows it after an
	// optional closing quote (\" too) and blanks. The key compares
	// case-insensitively.
	key bool
}

// exact returns anchors for literals compared exactly, each found by by.
func exact(by byte, lits ...string) []anchor {
	var as []anchor
	for _, l := range lits {
		as = append(as, anchor{lit: l, by: by})
	}
	return as
}

// folded returns an anchor for a lower-case literal compared ASCII
// case-insensitively, found by by in either case.
func folded(by byte, lit string) []anchor {
	return []anchor{{lit: lit, fold: true, by: by}}
}

// keys returns anchors for key names followed by '=' or ':', found by the
// separator.
func keys(names ...string) []anchor {
	var as []anchor
	for _, n := range names {
		as = append(as, anchor{lit: n, key: true, by: '='}, anchor{lit: n, key: true, by: ':'})
	}
	return as
}

// prefilter finds which rules' anchors a message holds. Rules are bits of
// a uint64; a rule past the 64th with anchors is checked on its own.
type prefilter struct {
	groups []scanGroup
	all    uint64 // the bits of every rule in groups
	// stops is the groups' bytes, when the vector search can mark them
	// all in one pass; nil when it cannot, and the groups are searched
	// one after another. groupOf[c] is the index of c's group.
	stops   *byteset.Set
	groupOf [256]uint8
}

// markWindow is how many bytes of a message scanMarked marks at once;
// their bitmap is on the stack.
const markWindow = 1024

// scanGroup is the anchors found by one byte.
type scanGroup struct {
	by    byte
	rules uint64 // the bits of the rules with anchors here
	// prevOK and nextOK hold the bytes that may come before and after by
	// in an anchor: most stops of the scan are told from anchors by
	// these two bytes alone. anyNear: an anchor is by alone.
	prevOK, nextOK [256]bool
	anyNear        bool
	lits           []groupLit
	maxOff         int        // the greatest off in lits
	keys           []keySet   // key anchors by their last byte; keys[0] is unused
	keyLast        [256]uint8 // index in keys of a key's last byte, in both cases
}

// groupLit is an anchor of the rule with bit, and where by is in it.
type groupLit struct {
	lit  string
	off  int
	fold bool
	bit  uint64
	// next is lit[off+1], where most false hits differ; 0 when by ends
	// lit.
	next byte
}

// keySet is the key anchors of a group that end in one byte.
type keySet struct {
	// prev holds the byte before the last of each key, in both cases, so
	// that most keys are told apart without a comparison.
	prev [256]bool
	keys []groupLit
}

// add files the anchors of the rule with bit.
func (p *prefilter) add(bit uint64, as []anchor) {
	for _, a := range as {
		if a.fold && isLetter(a.by) {
			lo := a.by | 0x20
			p.group(lo).addLit(a, lo, bit)
			p.group(upper(lo)).addLit(a, lo, bit)
			continue
		}
		p.group(a.by).addLit(a, a.by, bit)
	}
	p.all |= bit
	p.stops = nil
	if !byteset.Fast() {
		return
	}
	// Each group is one byte, so there are at most 256 and an index fits
	// groupOf's uint8.
	var in [256]bool
	for i, g := range p.groups {
		in[g.by] = true
		p.groupOf[g.by] = uint8(i)
	}
	p.stops, _ = byteset.New(func(c byte) bool { return in[c] }) // nil past eight nibble classes
}

// group returns the group searching for by, adding it if needed.
func (p *prefilter) group(by byte) *scanGroup {
	for i := range p.groups {
		if p.groups[i].by == by {
			return &p.groups[i]
		}
	}
	p.groups = append(p.groups, scanGroup{by: by})
	return &p.groups[len(p.groups)-1]
}

// addLit adds anchor a, in which the lower-case form of the group's byte
// is lower.
func (g *scanGroup) addLit(a anchor, lower byte, bit uint64) {
	g.rules |= bit
	if a.key {
		if len(a.lit) < 2 {
			panic("redact: key anchor " + a.lit + " is shorter than two bytes")
		}
		last, prev := a.lit[len(a.lit)-1], a.lit[len(a.lit)-2]
		if g.keyLast[last] == 0 {
			if len(g.keys) == 0 {
				g.keys = make([]keySet, 1)
			}
			g.keyLast[last] = uint8(len(g.keys))
			g.keyLast[upper(last)] = uint8(len(g.keys))
			g.keys = append(g.keys, keySet{})
		}
		set := &g.keys[g.keyLast[last]]
		set.prev[prev], set.prev[upper(prev)] = true, true
		set.keys = append(set.keys, groupLit{lit: a.lit, bit: bit})
		// Blanks and a closing quote may stand between a key and by.
		for _, c := range []byte{last, upper(last), ' ', '\t', '"', '\''} {
			g.prevOK[c] = true
		}
		return
	}
	off := bytes.IndexByte([]byte(a.lit), lower)
	g.maxOff = max(g.maxOff, off)
	l := groupLit{lit: a.lit, off: off, fold: a.fold, bit: bit}
	switch {
	case off+1 < len(a.lit):
		l.next = a.lit[off+1]
		g.nextOK[l.next] = true
		if a.fold {
			g.nextOK[upper(l.next)] = true
		}
	case off > 0:
		g.prevOK[a.lit[off-1]] = true
		if a.fold {
			g.prevOK[upper(a.lit[off-1])] = true
		}
	default:
		g.anyNear = true
	}
	g.lits = append(g.lits, l)
}

// upper returns c in upper case if it is an ASCII letter.
func upper(c byte) byte {
	if isLetter(c) {
		return c &^ 0x20
	}
	return c
}

// scan returns the bits of the rules whose anchors msg holds, ignoring
// those in have.
func (p *prefilter) scan(msg []byte, have uint64) uint64 {
	if p.stops != nil && len(msg) >= 16 {
		return p.scanMarked(msg, have)
	}
	return p.scanGroups(msg, have)
}

// scanGroups is scan a group at a time, each a pass of bytes.IndexByte.
func (p *prefilter) scanGroups(msg []byte, have uint64) uint64 {
	found := have
	for i := range p.groups {
		g := &p.groups[i]
		if g.rules&^found != 0 {
			found = g.scan(msg, found)
			if p.all&^found == 0 {
				break
			}
		}
	}
	return found &^ have
}

// scan adds to found the bits of the rules whose anchors in g msg holds.
func (g *scanGroup) scan(msg []byte, found uint64) uint64 {
	for i := 0; i < len(msg); i++ {
		j := bytes.IndexByte(msg[i:], g.by)
		if j < 0 {
			break
		}
		i += j
		if !g.near(msg, i) {
			continue
		}
		if found = g.check(msg, i, found); g.rules&^found == 0 {
			break
		}
	}
	return found
}

// scanMarked is scan in one pass over msg for all groups: it marks every
// byte that one of them searches for, then looks at each in turn.
func (p *prefilter) scanMarked(msg []byte, have uint64) uint64 {
	found := have
	var marks [markWindow / 64]uint64
	for off := 0; off < len(msg); off += markWindow {
		w := msg[off:min(len(msg), off+markWindow)]
		p.stops.Mark(marks[:], w)
		for k, m := range marks[:byteset.Words(len(w))] {
			for ; m != 0; m &= m - 1 {
				i := off + k*64 + bits.TrailingZeros64(m)
				g := &p.groups[p.groupOf[msg[i]]]
				if g.rules&^found == 0 || !g.near(msg, i) {
					continue
				}
				if found = g.check(msg, i, found); p.all&^found == 0 {
					return found &^ have
				}
			}
		}
	}
	return found &^ have
}

// near reports whether the bytes around msg[i], g's byte, may be those of
// one of g's anchors: most stops are told from anchors by them alone.
func (g *scanGroup) near(msg []byte, i int) bool {
	if g.anyNear {
		return true
	}
	var prev, next byte
	if i > 0 {
		prev = msg[i-1]
	}
	if i+1 < len(msg) {
		next = msg[i+1]
	}
	return g.prevOK[prev] || g.nextOK[next]
}

// check adds to found the bits of the rules whose anchors in g hold
// msg[i], the group's byte.
func (g *scanGroup) check(msg []byte, i int, found uint64) uint64 {
	for k := range g.lits {
		l := &g.lits[k]
		start := i - l.off
		if found&l.bit != 0 || start < 0 || start+len(l.lit) > len(msg) ||
			l.next != 0 && lower(msg[i+1], l.fold) != l.next {
			continue
		}
		if equalAt(msg[start:], l.lit, l.fold) {
			found |= l.bit
		}
	}
	if g.keys != nil {
		end := keyEnd(msg, i)
		if end >= 2 && g.keyLast[msg[end-1]] != 0 {
			if set := &g.keys[g.keyLast[msg[end-1]]]; set.prev[msg[end-2]] {
				found = set.scan(msg[:end], found)
			}
		}
	}
	return found
}

// lower returns c in lower case if fold and c is an ASCII letter.
func lower(c byte, fold bool) byte {
	if fold && 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// first returns where the earliest anchor in msg starts: a literal's first
// byte, or the end of a key name before its separator; -1 when msg holds
// none. It looks at every occurrence of the groups' bytes, so it is for
// messages known to hold an anchor.
func (p *prefilter) first(msg []byte) int {
	best := -1
	for gi := range p.groups {
		g := &p.groups[gi]
		// A literal found at i starts at i-maxOff or later; a key found
		// further on ends further on, so the first one found is the
		// group's earliest.
		keysDone := len(g.keys) == 0
		for i := 0; i < len(msg); i++ {
			litsDone := len(g.lits) == 0 || best >= 0 && i >= best+g.maxOff
			if litsDone && keysDone {
				break
			}
			j := bytes.IndexByte(msg[i:], g.by)
			if j < 0 {
				break
			}
			i += j
			for _, l := range g.lits {
				start := i - l.off
				if start >= 0 && start+len(l.lit) <= len(msg) && equalAt(msg[start:], l.lit, l.fold) &&
					(best < 0 || start < best) {
					best = start
				}
			}
			if end := keyEnd(msg, i); !keysDone && end > 0 && g.keyLast[msg[end-1]] != 0 &&
				g.keys[g.keyLast[msg[end-1]]].scan(msg[:end], 0) != 0 {
				keysDone = true
				if best < 0 || end < best {
					best = end
				}
			}
		}
	}
	return best
}

// keyEnd returns where a key name before the separator at msg[sep] ends:
// before the blanks and the closing quote (\" too) between them.
func keyEnd(msg []byte, sep int) int {
	end := sep
	for end > 0 && (msg[end-1] == ' ' || msg[end-1] == '\t') {
		end--
	}
	if end > 0 && (msg[end-1] == '"' || msg[end-1] == '\'') {
		end--
		if end > 0 && msg[end-1] == '\\' {
			end--
		}
	}
	return end
}

// tokenStart returns the start of the run of non-blank bytes that holds or
// ends at msg[i]: a point no built-in match spans, after a byte that is
// no word character. The blanks are those of RE2's \s.
func tokenStart(msg []byte, i int) int {
	for i > 0 {
		switch msg[i-1] {
		case ' ', '\t', '\n', '\f', '\r':
			return i
		}
		i--
	}
	return 0
}

// scan adds to found the bits of the rules whose key names end msg.
func (set *keySet) scan(msg []byte, found uint64) uint64 {
	for k := range set.keys {
		if l := &set.keys[k]; found&l.bit == 0 && hasFoldSuffix(msg, l.lit) {
			found |= l.bit
		}
	}
	return found
}

// hasFoldSuffix reports whether msg ends with the lower-case lit, ASCII
// letters compared case-insensitively. It compares from the end, where
// keys differ.
func hasFoldSuffix(msg []byte, lit string) bool {
	if len(msg) < len(lit) {
		return false
	}
	msg = msg[len(msg)-len(lit):]
	for k := len(lit) - 1; k >= 0; k-- {
		c := msg[k]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lit[k] {
			return false
		}
	}
	return true
}

// equalAt reports whether msg starts with lit; with fold, ASCII upper-case
// letters in msg compare equal to lit's lower-case ones.
func equalAt(msg []byte, lit string, fold bool) bool {
	if !fold {
		return string(msg[:len(lit)]) == lit
	}
	for k := 0; k < len(lit); k++ {
		c := msg[k]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lit[k] {
			return false
		}
	}
	return true
}

func isLetter(b byte) bool { return 'a' <= b|0x20 && b|0x20 <= 'z' }

// literalAnchors returns the anchor of a user rule whose pattern starts
// with prefix: the prefix, found by its rarest byte.
func literalAnchors(prefix string) []anchor {
	by := prefix[0]
	for k := 1; k < len(prefix); k++ {
		if byteCost[prefix[k]] < byteCost[by] {
			by = prefix[k]
		}
	}
	return exact(by, prefix)
}

// ruleBit returns the prefilter bit of rule i, or 0 past the 64th rule.
func ruleBit(i int) uint64 {
	if i >= 64 {
		return 0
	}
	return 1 << i
}

// byteCost ranks bytes by how often they appear in log lines, roughly per
// thousand bytes: English letter frequencies for the lower case, with
// digits, separators and upper-case letters estimated from typical
// application and access logs. Only the order matters.
var byteCost = func() (t [256]uint8) {
	for i := range t {
		t[i] = 1
	}
	for c, n := range map[byte]uint8{
		' ': 150, 'e': 60, 't': 45, 'a': 40, 'o': 38, 'i': 37, 'n': 36, 's': 34,
		'r': 32, 'h': 20, 'l': 20, 'd': 20, 'c': 15, 'u': 14, 'm': 13, 'p': 10,
		'f': 10, 'g': 10, 'w': 8, 'y': 8, 'b': 7, 'v': 5, 'k': 4, 'x': 2,
		'j': 1, 'q': 1, 'z': 1,
		'.': 10, '/': 10, ':': 10, '-': 10, '=': 8, '"': 8, ',': 6, '_': 6,
		'[': 3, ']': 3, '(': 3, ')': 3, '{': 2, '}': 2, ';': 2, '\'': 2,
	} {
		t[c] = n
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = 12
	}
	// Upper case is rarer than lower case, in the same order.
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = 2 + t[c-'A'+'a']/20
	}
	return t
}()
