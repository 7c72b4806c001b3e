package frame

// Message frames one whole message, such as a journal entry's, with the
// rules Lines applies to a line, except that it keeps every '\n' and '\r':
// invalid UTF-8 and NUL bytes become U+FFFD, and a message whose sanitized
// length is over max bytes is split into consecutive pieces cut on UTF-8
// boundaries, or truncated to end with TruncatedMarker. An empty message
// emits nothing and is counted in c.Empty.
//
// emit receives each piece in order. A piece may alias msg or memory of
// Message's own and is valid only during the call.
func Message(msg []byte, max int, oversize Oversize, c *Counts, emit func(piece []byte)) {
	if len(msg) == 0 {
		c.Empty++
		return
	}
	var scratch []byte
	clean := func(p []byte) []byte {
		if isClean(p) {
			return p
		}
		scratch = appendValid(scratch[:0], p, c)
		return scratch
	}
	if sanitizedLen(msg) <= max {
		emit(clean(msg))
		return
	}
	if oversize == Truncate {
		c.Truncated++
		marker := TruncatedMarker
		if max < 2*len(marker) {
			marker = "" // a limit this small has no room for it
		}
		head := clean(msg[:cutPoint(msg, max-len(marker))])
		emit(append(head[:len(head):len(head)], marker...))
		return
	}
	c.Split++
	for len(msg) > 0 {
		n := cutPoint(msg, max)
		emit(clean(msg[:n]))
		msg = msg[n:]
	}
}
