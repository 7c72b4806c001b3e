package cloudwatch

import (
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/corral-logs/corral/pipeline"
)

// event is one event of a request, as the encoder sees it.
type event struct {
	ts  int64
	msg []byte
}

// collect appends r's events to dst, sorted by timestamp (stable, so equal
// timestamps keep read order).
func collect(dst []event, r *pipeline.Request) []event {
	sorted := true
	r.Each(func(ts int64, msg []byte) {
		if n := len(dst); n > 0 && dst[n-1].ts > ts {
			sorted = false
		}
		dst = append(dst, event{ts: ts, msg: msg})
	})
	if !sorted {
		slices.SortStableFunc(dst, func(a, b event) int {
			switch {
			case a.ts < b.ts:
				return -1
			case a.ts > b.ts:
				return 1
			}
			return 0
		})
	}
	return dst
}

// appendPutLogEvents appends the JSON body of a PutLogEvents request.
func appendPutLogEvents(dst []byte, dest pipeline.Dest, evs []event) []byte {
	dst = append(dst, `{"logGroupName":`...)
	dst = appendString(dst, dest.Group)
	dst = append(dst, `,"logStreamName":`...)
	dst = appendString(dst, dest.Stream)
	dst = append(dst, `,"logEvents":[`...)
	for i, e := range evs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"timestamp":`...)
		dst = strconv.AppendInt(dst, e.ts, 10)
		dst = append(dst, `,"message":`...)
		dst = appendString(dst, e.msg)
		dst = append(dst, '}')
	}
	return append(dst, "]}"...)
}

// needsEscape marks the ASCII bytes that a JSON string must escape.
var needsEscape = func() (t [utf8.RuneSelf]bool) {
	for i := range 0x20 {
		t[i] = true
	}
	t['"'] = true
	t['\\'] = true
	return t
}()

const hexDigits = "0123456789abcdef"

// appendString appends s, which must be valid UTF-8, as a JSON string.
func appendString[T string | []byte](dst []byte, s T) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || !needsEscape[c] {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
