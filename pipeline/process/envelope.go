package process

import (
	"unicode/utf8"

	"github.com/corral-logs/corral/parsers/record"
)

// appendEnvelope appends the JSON envelope of an event:
//
//	{"message":"…","fields":{…},"parse_failed":true,"host":"…",…,"labels":{…}}
//
// message is the event's text (the body when its format has one), fields
// are what the parser found, in order, with their JSON types kept;
// parse_failed appears only for a line the parser could not read; the
// input's metadata follows as top-level strings, then the labels. Logs
// Insights discovers every key of it.
func (p *Processor) appendEnvelope(dst []byte, rec *record.Record, text []byte, failed bool) []byte {
	dst = append(dst, `{"message":`...)
	dst = appendString(dst, rec.Text(text))
	if rec.Len() > 0 {
		dst = append(dst, `,"fields":{`...)
		for i := range rec.Len() {
			k, v, kind := rec.Field(i)
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, k)
			dst = append(dst, ':')
			if kind == record.JSON {
				dst = append(dst, v...)
			} else {
				dst = appendString(dst, v)
			}
		}
		dst = append(dst, '}')
	}
	if failed {
		dst = append(dst, `,"parse_failed":true`...)
	}
	return append(dst, p.tail...)
}

// envelopeTail returns the end of every envelope of an input: its
// metadata as top-level strings, then the labels, then the closing brace.
func envelopeTail(meta, labels [][2]string) []byte {
	var dst []byte
	for _, kv := range meta {
		dst = append(dst, ',')
		dst = appendString(dst, []byte(kv[0]))
		dst = append(dst, ':')
		dst = appendString(dst, []byte(kv[1]))
	}
	if len(labels) > 0 {
		dst = append(dst, `,"labels":{`...)
		for i, kv := range labels {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, []byte(kv[0]))
			dst = append(dst, ':')
			dst = appendString(dst, []byte(kv[1]))
		}
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Bytes that are not valid
// UTF-8 become U+FFFD, so the envelope is always valid JSON.
func appendString(dst, s []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRune(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
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
			if c >= utf8.RuneSelf {
				dst = append(dst, `\ufffd`...)
			} else {
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
