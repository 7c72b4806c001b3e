package cwltest

import (
	"bytes"
	"fmt"
	json "github.com/segmentio/encoding/json"
	"strings"
	"time"
	"unicode/utf8"
)

// putRequest is the part of a PutLogEvents body the fake reads. Bodies are
// decoded into pooled values, so a request reuses an earlier one's events
// slice.
type putRequest struct {
	LogGroupName  string  `json:"logGroupName"`
	LogStreamName string  `json:"logStreamName"`
	LogEvents     []Event `json:"logEvents"`
}

// decode fills p from body. encoding/json does not zero the elements of a
// reused slice before decoding into them, so decode does.
func (p *putRequest) decode(body []byte) error {
	evs := p.LogEvents[:cap(p.LogEvents)]
	clear(evs)
	*p = putRequest{LogEvents: evs[:0]}
	return json.Unmarshal(body, p)
}

// check returns why the service would refuse the whole request, or "" when
// it would take it. body is the decompressed request, which check needs to
// see invalid UTF-8 that decoding has already replaced.
func (p *putRequest) check(body []byte, maxEventBytes int, now time.Time) string {
	if msg := checkGroupName(p.LogGroupName); msg != "" {
		return msg
	}
	if msg := checkStreamName(p.LogStreamName); msg != "" {
		return msg
	}
	if msg := checkUTF8(body); msg != "" {
		return msg
	}
	switch n := len(p.LogEvents); {
	case n == 0:
		return "1 validation error detected: Value at 'logEvents' failed to satisfy constraint: " +
			"Member must have length greater than or equal to 1"
	case n > maxEvents:
		return fmt.Sprintf("1 validation error detected: Value at 'logEvents' failed to satisfy "+
			"constraint: Member must have length less than or equal to %d", maxEvents)
	}

	// Each event on its own, then the order, then the sum.
	for i, ev := range p.LogEvents {
		switch {
		case ev.Message == "":
			return fmt.Sprintf("1 validation error detected: Value '' at 'logEvents.%d.member.message' "+
				"failed to satisfy constraint: Member must have length greater than or equal to 1", i+1)
		case len(ev.Message) > maxEventBytes:
			return fmt.Sprintf("Log event too large: %d bytes exceeds limit of %d",
				len(ev.Message)+eventOverhead, maxEventBytes+eventOverhead)
		case i > 0 && ev.Timestamp < p.LogEvents[i-1].Timestamp:
			return "Log events in a single PutLogEvents request must be in chronological order."
		}
	}
	if size := p.size(); size > maxRequestBytes {
		return fmt.Sprintf("Upload too large: %d bytes exceeds limit of %d", size, maxRequestBytes)
	}

	// The span counts only the events inside the window: the service
	// documents the 24-hour limit "for valid events (within 14 days in the
	// past to 2 hours in future)".
	w := window(p.LogEvents, now, 0)
	if w.tooOldEnd < w.tooNewStart {
		first, last := p.LogEvents[w.tooOldEnd].Timestamp, p.LogEvents[w.tooNewStart-1].Timestamp
		if last-first > maxSpan.Milliseconds() {
			return "The batch of log events in a single PutLogEvents request cannot span more than 24 hours."
		}
	}
	return ""
}

// size returns the request's size as the service counts it: the UTF-8
// bytes of every message plus eventOverhead each.
func (p *putRequest) size() int {
	n := 0
	for _, ev := range p.LogEvents {
		n += len(ev.Message) + eventOverhead
	}
	return n
}

// rejected says which events of a request in timestamp order the service
// refuses one by one. Every field is an index into the request's events.
type rejected struct {
	tooOldEnd   int // events [0, tooOldEnd) are older than 14 days
	expiredEnd  int // events [tooOldEnd, expiredEnd) are older than the retention
	tooNewStart int // events [tooNewStart, n) are more than 2 hours ahead
}

// window classifies sorted events against the service clock now and a
// group's retention in days (0 for none).
func window(evs []Event, now time.Time, retention int) rejected {
	oldest := now.Add(-maxAge).UnixMilli()
	newest := now.Add(maxAhead).UnixMilli()
	expired := oldest
	if retention > 0 {
		expired = max(oldest, now.AddDate(0, 0, -retention).UnixMilli())
	}
	var r rejected
	for r.tooOldEnd < len(evs) && evs[r.tooOldEnd].Timestamp < oldest {
		r.tooOldEnd++
	}
	r.expiredEnd = r.tooOldEnd
	for r.expiredEnd < len(evs) && evs[r.expiredEnd].Timestamp < expired {
		r.expiredEnd++
	}
	r.tooNewStart = len(evs)
	for r.tooNewStart > r.expiredEnd && evs[r.tooNewStart-1].Timestamp > newest {
		r.tooNewStart--
	}
	return r
}

// info returns the rejectedLogEventsInfo the service answers with for r and
// n events, or nil when every event was taken.
//
// The API reference (RejectedLogEventsInfo) defines tooOldLogEventEndIndex
// as exclusive and tooNewLogEventStartIndex as inclusive: with events
// [old, old, ok, ok, new] the answer is {tooOld: 2, tooNew: 4}. It says of
// expiredLogEventEndIndex only "the expired log events"; reading it as the
// exclusive end of the events older than the retention, like
// tooOldLogEventEndIndex, is an inference.
func (r rejected) info(n int) *rejectedInfo {
	if r.tooOldEnd == 0 && r.expiredEnd == 0 && r.tooNewStart == n {
		return nil
	}
	info := &rejectedInfo{}
	if r.tooOldEnd > 0 {
		info.TooOldLogEventEndIndex = &r.tooOldEnd
	}
	if r.expiredEnd > r.tooOldEnd {
		info.ExpiredLogEventEndIndex = &r.expiredEnd
	}
	if r.tooNewStart < n {
		info.TooNewLogEventStartIndex = &r.tooNewStart
	}
	return info
}

// rejectedInfo is the wire form of RejectedLogEventsInfo.
type rejectedInfo struct {
	TooNewLogEventStartIndex *int `json:"tooNewLogEventStartIndex,omitempty"`
	TooOldLogEventEndIndex   *int `json:"tooOldLogEventEndIndex,omitempty"`
	ExpiredLogEventEndIndex  *int `json:"expiredLogEventEndIndex,omitempty"`
}

// checkGroupName returns why name is not a valid log group name, or "".
func checkGroupName(name string) string {
	if n := utf8.RuneCountInString(name); n < 1 || n > maxNameLen {
		return lengthError(name, "logGroupName")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '-' || c == '_' || c == '/' || c == '#'
		if !ok {
			return fmt.Sprintf("1 validation error detected: Value '%s' at 'logGroupName' failed "+
				`to satisfy constraint: Member must satisfy regular expression pattern: `+
				`[\.\-_/#A-Za-z0-9]+`, name)
		}
	}
	if strings.HasPrefix(name, reservedGroupPrefix) {
		return fmt.Sprintf("Log group name %q starts with the reserved prefix %q",
			name, reservedGroupPrefix)
	}
	return ""
}

// checkStreamName returns why name is not a valid log stream name, or "".
func checkStreamName(name string) string {
	if n := utf8.RuneCountInString(name); n < 1 || n > maxNameLen {
		return lengthError(name, "logStreamName")
	}
	if strings.ContainsAny(name, ":*") {
		return fmt.Sprintf("1 validation error detected: Value '%s' at 'logStreamName' failed "+
			"to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*", name)
	}
	return ""
}

func lengthError(value, member string) string {
	if value == "" {
		return fmt.Sprintf("1 validation error detected: Value '' at '%s' failed to satisfy constraint: "+
			"Member must have length greater than or equal to 1", member)
	}
	return fmt.Sprintf("1 validation error detected: Value at '%s' failed to satisfy constraint: "+
		"Member must have length less than or equal to %d", member, maxNameLen)
}

// checkUTF8 returns why body holds text that is not valid UTF-8, or "".
// encoding/json replaces both invalid bytes and escaped lone surrogates
// (\ud800) with U+FFFD, so the raw body is checked before that happens.
// The AWS SDK for Go never sends either: it writes U+FFFD for each invalid
// byte itself.
func checkUTF8(body []byte) string {
	if !utf8.Valid(body) {
		return "Invalid UTF-8 in the request: log event messages must be valid UTF-8"
	}
	if hasLoneSurrogate(body) {
		return "Invalid UTF-8 in the request: a message holds an unpaired UTF-16 surrogate escape"
	}
	return ""
}

// hasLoneSurrogate reports whether body holds a \uD800-\uDFFF escape that is
// not a high surrogate followed by a low one.
func hasLoneSurrogate(body []byte) bool {
	for i := 0; ; {
		j := bytes.Index(body[i:], []byte(`\u`))
		if j < 0 {
			return false
		}
		i += j
		if i > 0 && precededByBackslashes(body[:i]) {
			i += 2 // an escaped backslash followed by a literal "u"
			continue
		}
		r, ok := surrogateAt(body, i)
		switch {
		case !ok:
			i += 2
		case r >= 0xDC00: // a low surrogate with no high one before it
			return true
		default:
			if low, ok := surrogateAt(body, i+6); !ok || low < 0xDC00 {
				return true
			}
			i += 12
		}
	}
}

// surrogateAt returns the surrogate escaped as \uXXXX at body[i:], if any.
func surrogateAt(body []byte, i int) (rune, bool) {
	if i+6 > len(body) || body[i] != '\\' || body[i+1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range body[i+2 : i+6] {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, r >= 0xD800 && r <= 0xDFFF
}

// precededByBackslashes reports whether b ends in an odd number of
// backslashes, which makes the backslash after it a literal character.
func precededByBackslashes(b []byte) bool {
	n := 0
	for n < len(b) && b[len(b)-1-n] == '\\' {
		n++
	}
	return n%2 == 1
}
