package journald

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Meta is what an entry's destination may depend on: the values of the
// journal placeholders of log group and log stream templates.
type Meta struct {
	// Unit is the systemd unit the entry is about (see unitOf), "kernel"
	// for kernel messages, else Identifier.
	Unit string
	// Priority is the syslog priority name (emerg, alert, crit, err,
	// warning, notice, info, debug), or "unknown" without a valid PRIORITY.
	Priority string
	// Identifier is SYSLOG_IDENTIFIER, else the process name (_COMM), else
	// "unknown": what journalctl shows before the message.
	Identifier string
	// Hostname is _HOSTNAME, or empty when the entry has none; the agent
	// then uses its own.
	Hostname string
}

// Entry is one journal entry decoded from journalctl's JSON output.
type Entry struct {
	// Cursor is __CURSOR, the entry's address in the journal. Empty if the
	// line had none; such an entry is shipped but moves no checkpoint.
	Cursor string
	// Time is __REALTIME_TIMESTAMP in Unix milliseconds, or 0 when it is
	// missing or not a positive number.
	Time int64
	// Message is MESSAGE as bytes; a MESSAGE set more than once in the
	// entry gives its values joined by '\n'. Empty when missing.
	Message []byte
	Meta    Meta
}

// outputFields are the fields the source asks journalctl for: those
// decodeEntry reads. journalctl adds __CURSOR, __REALTIME_TIMESTAMP,
// __MONOTONIC_TIMESTAMP and _BOOT_ID to them on its own.
var outputFields = []string{"MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "_COMM", "_HOSTNAME",
	"_TRANSPORT", "_SYSTEMD_UNIT", "_PID", "_UID", "UNIT", "MESSAGE_ID", "COREDUMP_UNIT",
	"OBJECT_SYSTEMD_UNIT"}

// rawEntry holds the fields of a JSON entry that the source uses.
type rawEntry struct {
	Cursor       value `json:"__CURSOR"`
	Realtime     value `json:"__REALTIME_TIMESTAMP"`
	Message      value `json:"MESSAGE"`
	Priority     value `json:"PRIORITY"`
	Identifier   value `json:"SYSLOG_IDENTIFIER"`
	Comm         value `json:"_COMM"`
	Hostname     value `json:"_HOSTNAME"`
	Transport    value `json:"_TRANSPORT"`
	Unit         value `json:"_SYSTEMD_UNIT"`
	PID          value `json:"_PID"`
	UID          value `json:"_UID"`
	AboutUnit    value `json:"UNIT"`
	MessageID    value `json:"MESSAGE_ID"`
	CoredumpUnit value `json:"COREDUMP_UNIT"`
	ObjectUnit   value `json:"OBJECT_SYSTEMD_UNIT"`
}

// Errors of decodeEntry for lines that are no JSON object.
var (
	errNotObject   = errors.New("not a JSON object")
	errInvalidJSON = errors.New("invalid JSON")
)

// decodeEntry decodes one line of `journalctl --output=json`.
func decodeEntry(line []byte) (Entry, error) {
	trimmed := bytes.TrimLeft(line, " \t\r")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		if json.Valid(line) {
			return Entry{}, errNotObject
		}
		return Entry{}, errInvalidJSON
	}
	var r rawEntry
	if err := json.Unmarshal(line, &r); err != nil {
		return Entry{}, err
	}
	e := Entry{
		Cursor:  string(r.Cursor.first()),
		Time:    realtimeMillis(r.Realtime.first()),
		Message: joinValues(r.Message),
	}
	e.Meta.Priority = priorityName(r.Priority.first())
	e.Meta.Identifier = firstOf("unknown", r.Identifier, r.Comm)
	e.Meta.Hostname = string(r.Hostname.first())
	e.Meta.Unit = unitOf(&r, e.Meta.Identifier)
	return e, nil
}

// joinValues returns a field's values joined by '\n', nil for none.
func joinValues(v value) []byte {
	switch len(v) {
	case 0:
		return nil
	case 1:
		return v[0] // already a copy of the line's bytes
	}
	return bytes.Join(v, []byte{'\n'})
}

// coredumpMessageID is the MESSAGE_ID systemd-coredump gives its reports.
const coredumpMessageID = "fc2e22bc6ee647b6b90729ab34a250b1"

// unitOf is the unit an entry is about, by the rules `journalctl -u`
// matches with: systemd's own messages about a unit (from PID 1, with
// UNIT), a core dump's report (COREDUMP_UNIT), a message about a unit from
// a daemon running as root (OBJECT_SYSTEMD_UNIT), else the unit that wrote
// it (_SYSTEMD_UNIT). Kernel messages get "kernel"; entries outside any
// unit get their identifier.
func unitOf(r *rawEntry, identifier string) string {
	root := string(r.UID.first()) == "0"
	coredump := root && string(r.MessageID.first()) == coredumpMessageID
	switch {
	case string(r.PID.first()) == "1" && len(r.AboutUnit.first()) > 0:
		return string(r.AboutUnit.first())
	case coredump && len(r.CoredumpUnit.first()) > 0:
		return string(r.CoredumpUnit.first())
	case root && len(r.ObjectUnit.first()) > 0:
		return string(r.ObjectUnit.first())
	case len(r.Unit.first()) > 0:
		return string(r.Unit.first())
	case string(r.Transport.first()) == "kernel":
		return "kernel"
	}
	return identifier
}

// priorityNames are the syslog priorities by number.
var priorityNames = [...]string{
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
}

// priorityName maps a PRIORITY value to its name.
func priorityName(p []byte) string {
	if len(p) == 1 && p[0] >= '0' && p[0] <= '7' {
		return priorityNames[p[0]-'0']
	}
	return "unknown"
}

// realtimeMillis turns __REALTIME_TIMESTAMP, microseconds since the epoch
// in decimal, into milliseconds; 0 when it is not a positive number.
func realtimeMillis(us []byte) int64 {
	n, err := strconv.ParseInt(string(us), 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return n / 1000
}

// firstOf returns the first non-empty value among vs, or def.
func firstOf(def string, vs ...value) string {
	for _, v := range vs {
		if f := v.first(); len(f) > 0 {
			return string(f)
		}
	}
	return def
}

// value is one field of an entry as the Journal JSON Format gives it: a
// string; an array of byte values (0 to 255) for binary data or text that
// is not printable UTF-8; null for a value too large to show (which --all
// prevents); or, for a field set more than once in the entry, an array of
// those. It holds every value, nil for null.
type value [][]byte

// first returns the field's first value, nil when there is none.
func (v value) first() []byte {
	if len(v) == 0 {
		return nil
	}
	return v[0]
}

// UnmarshalJSON implements json.Unmarshaler.
func (v *value) UnmarshalJSON(data []byte) error {
	*v = nil
	data = bytes.TrimLeft(data, " \t\r\n")
	if len(data) > 0 && data[0] == '[' && !isByteArray(data) {
		var elems []json.RawMessage
		if err := json.Unmarshal(data, &elems); err != nil {
			return err
		}
		for _, el := range elems {
			el = bytes.TrimLeft(el, " \t\r\n")
			if len(el) > 0 && el[0] == '[' && !isByteArray(el) {
				return errors.New("journal field: nested array of values")
			}
			b, err := decodeOne(el)
			if err != nil {
				return err
			}
			*v = append(*v, b)
		}
		return nil
	}
	b, err := decodeOne(data)
	if err != nil {
		return err
	}
	*v = value{b}
	return nil
}

// isByteArray reports whether data, a JSON array, holds numbers (or
// nothing): a binary value rather than several values.
func isByteArray(data []byte) bool {
	rest := bytes.TrimLeft(data[1:], " \t\r\n")
	return len(rest) > 0 && (rest[0] == ']' || rest[0] >= '0' && rest[0] <= '9')
}

// decodeOne decodes a single value: null, a string or an array of bytes.
func decodeOne(data []byte) ([]byte, error) {
	switch {
	case len(data) == 0:
		return nil, errors.New("journal field: empty value")
	case data[0] == 'n' && string(data) == "null":
		return nil, nil
	case data[0] == '"' && len(data) >= 2:
		inner := data[1 : len(data)-1]
		if bytes.IndexByte(inner, '\\') < 0 && bytes.IndexByte(inner, '"') < 0 {
			return bytes.Clone(inner), nil // nothing escaped: the bytes as they are
		}
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return nil, err
		}
		return []byte(s), nil
	case data[0] == '[':
		return parseBytes(data)
	}
	return nil, fmt.Errorf("journal field: unexpected JSON value %.20q", data)
}

// parseBytes parses a JSON array of integers from 0 to 255, such as
// [104,105], into the bytes they are.
func parseBytes(data []byte) ([]byte, error) {
	out := make([]byte, 0, len(data)/3)
	i := 1
	skip := func() {
		for i < len(data) && isSpace(data[i]) {
			i++
		}
	}
	skip()
	if i < len(data) && data[i] == ']' {
		i++
		skip()
		if i != len(data) {
			return nil, errors.New("journal field: data after array")
		}
		return out, nil
	}
	for {
		skip()
		start, n := i, 0
		for i < len(data) && data[i] >= '0' && data[i] <= '9' && i-start < 3 {
			n = n*10 + int(data[i]-'0')
			i++
		}
		if i == start || n > 255 || (i < len(data) && data[i] >= '0' && data[i] <= '9') {
			return nil, fmt.Errorf("journal field: byte value out of range at offset %d", start)
		}
		out = append(out, byte(n))
		skip()
		if i >= len(data) {
			return nil, errors.New("journal field: unterminated byte array")
		}
		switch data[i] {
		case ',':
			i++
		case ']':
			i++
			skip()
			if i != len(data) {
				return nil, errors.New("journal field: data after array")
			}
			return out, nil
		default:
			return nil, fmt.Errorf("journal field: unexpected %q in byte array", data[i])
		}
	}
}

// isSpace reports whether c is JSON white space.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
