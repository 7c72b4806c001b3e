package frame

// Message frames one whole message, such as a journal entry's, with the
// rules Lines applies to a line, except that it keeps every '\n' and '\r':
// invalid UTF-8 and NUL bytes become U+FFFD, and a message whose sanitized
// length is over max bytes is split into consecutive pieces cut on UTF-8
// boundaries, or truncated. With markers, every piece but the last ends
// with SplitMarker and a truncated message with TruncatedMarker, as
// Lines does by default. An empty message emits nothing and is counted in
// c.Empty.
//
// emit receives each piece in order. A piece may alias msg or memory of
// Message's own and is valid only during the call.
func Message(msg []byte, max int, oversize Oversize, markers bool, c *Counts,
	emit func(piece []byte)) {
	if len(msg) == 0 {
		c.Empty++
		return
	}
	var scratch []byte
	// withMarker returns p made valid, followed by marker.
	withMarker := func(p []byte, marker string) []byte {
		if marker == "" && isClean(p) {
			return p
		}
		if isClean(p) {
			scratch = append(scratch[:0], p...)
		} else {
			scratch = appendValid(scratch[:0], p, c)
		}
		return append(scratch, marker...)
	}
	marker := func(m string) string {
		if !markers || max < 2*len(m) {
			return "" // off, or a limit this small has no room for it
		}
		return m
	}
	if sanitizedLen(msg) <= max {
		emit(withMarker(msg, ""))
		return
	}
	if oversize == Truncate {
		c.Truncated++
		m := marker(TruncatedMarker)
		emit(withMarker(msg[:cutPoint(msg, max-len(m))], m))
		return
	}
	c.Split++
	m := marker(SplitMarker)
	for len(msg) > 0 {
		if n := cutPoint(msg, max); n == len(msg) {
			emit(withMarker(msg, "")) // the last piece
			return
		}
		n := cutPoint(msg, max-len(m))
		emit(withMarker(msg[:n], m))
		msg = msg[n:]
	}
}
