package journald

import (
	"fmt"
	"strings"
)

// args returns journalctl's arguments to read the journal from the entry
// at cursor (which the source then skips), or from the start of the
// latest boot the journal holds when cursor is empty; with follow, it
// then waits for new entries.
//
// A source that resumes from a cursor first reads without follow up to
// the end of the journal, then follows from there: since systemd 250,
// --follow implies --boot, so following from a cursor of the previous
// boot would skip the end of that boot (systemd PR 21711). The usual
// way out, --merge, is refused together with that implied --boot in
// systemd 250 to 253 (systemd issue 24565), and would open other
// machines' journals kept on this host.
//
// Every filter is a match expression rather than -u and -k: journalctl
// ANDs -u, -k, -p and its positional matches with each other, so a unit
// filter OR'ed with kernel messages can only be written as matches joined
// by "+". -p is AND'ed with them, which is what a priority filter means.
func (s *Source) args(cursor string, follow bool) []string {
	args := []string{
		"--output=json",
		"--output-fields=" + strings.Join(outputFields, ","),
		"--all", // without it a field over 4,096 bytes is printed as null
		"--no-pager",
	}
	if follow {
		args = append(args, "--follow", "--no-tail") // --follow alone starts at the last 10 entries
	}
	if s.opts.Directory != "" {
		args = append(args, "--directory="+s.opts.Directory)
	}
	if cursor == "" {
		// Limitation: in a Directory, a boot newer than the latest one when
		// journalctl started is only read once journalctl restarts, since
		// --boot names the latest boot at the start. The system journal
		// cannot get a new boot while corral runs.
		args = append(args, "--boot")
	} else {
		// --cursor rather than --after-cursor: when the entry at cursor is
		// gone (vacuumed, or the journal was replaced), --after-cursor
		// skips the first entry after where it would be, unread.
		args = append(args, "--cursor="+cursor)
	}
	if s.opts.Priority != "" {
		args = append(args, "--priority="+s.opts.Priority)
	}
	return append(args, s.matches()...)
}

// matches returns the match expressions of the unit filter: for each unit
// what `journalctl -u` matches, and with IncludeKernel the kernel's
// messages. Without units every entry is read, kernel ones included.
func (s *Source) matches() []string {
	var m []string
	alternative := func(matches ...string) {
		if len(m) > 0 {
			m = append(m, "+")
		}
		m = append(m, matches...)
	}
	for _, u := range s.units {
		alternative("_SYSTEMD_UNIT=" + u)
		alternative("_PID=1", "UNIT="+u)
		alternative("MESSAGE_ID="+coredumpMessageID, "_UID=0", "COREDUMP_UNIT="+u)
		alternative("_UID=0", "OBJECT_SYSTEMD_UNIT="+u)
	}
	if len(m) > 0 && s.opts.IncludeKernel {
		alternative("_TRANSPORT=kernel")
	}
	return m
}

// unitSuffixes are the unit types; a unit name without one of them gets
// ".service", as journalctl -u does.
var unitSuffixes = []string{".service", ".socket", ".target", ".device", ".mount", ".automount",
	".swap", ".timer", ".path", ".slice", ".scope"}

// unitName returns the full name of the unit u names, or an error for a
// name no unit can have (such as a glob pattern, which journalctl -u would
// expand but a match cannot).
func unitName(u string) (string, error) {
	if u == "" {
		return "", fmt.Errorf("empty unit name")
	}
	for _, r := range u {
		if !isUnitNameRune(r) {
			return "", fmt.Errorf("unit name %q: %q is not allowed (globs are not supported)", u, r)
		}
	}
	for _, suffix := range unitSuffixes {
		if strings.HasSuffix(u, suffix) && len(u) > len(suffix) {
			return u, nil
		}
	}
	return u + ".service", nil
}

// isUnitNameRune reports whether r may appear in a unit name.
func isUnitNameRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
		strings.ContainsRune(":-_.\\@", r)
}

// validCursor reports whether c has the shape of a journal cursor that
// journalctl can seek to: ';'-separated "k=v" items that locate an entry
// by sequence number, by boot and monotonic time, or by wall clock time.
func validCursor(c string) bool {
	if c == "" || strings.ContainsAny(c, "\n\x00") {
		return false
	}
	have := map[byte]bool{}
	for _, item := range strings.Split(c, ";") {
		if len(item) < 3 || item[1] != '=' {
			return false
		}
		have[item[0]] = true
	}
	return have['s'] && have['i'] || have['b'] && have['m'] || have['t']
}

// lastBytes keeps the last max bytes written to it: the end of
// journalctl's stderr, for the log.
type lastBytes struct {
	max int
	buf []byte
}

func (l *lastBytes) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	if over := len(l.buf) - l.max; over > 0 {
		l.buf = append(l.buf[:0], l.buf[over:]...)
	}
	return len(p), nil
}

// String returns what was kept, trimmed.
func (l *lastBytes) String() string { return strings.TrimSpace(string(l.buf)) }
