package cloudwatch

import (
	"sync"

	"github.com/klauspost/compress/gzip"

	"github.com/corral-logs/corral/pipeline"
)

// Compression is how PutLogEvents bodies go on the wire.
type Compression string

// Compressions.
const (
	// CompressionGzip sends a body gzip-compressed (Content-Encoding:
	// gzip) when that makes it smaller, which is what log lines do. The
	// service accepts gzip bodies; AWS's own CloudWatch agent sends them.
	CompressionGzip Compression = "gzip"
	// CompressionNone always sends the JSON as it is.
	CompressionNone Compression = "none"
)

// gzipLevel trades ratio for speed: klauspost's fastest level that still
// finds repeats. On the bench's log lines it shrinks bodies to about a
// fifth at 184 to 330 MB per CPU-second on a 2-core VM; Huffman-only
// coding is about twice as fast but leaves two thirds.
//
// Limitation: at that speed gzip is 0.77 to 1.27 µs of each ~250-byte
// event, so a backlog with gzip on ships about 600,000 events per
// CPU-second on a 2-core VM, less on a slower one (docs/performance.md);
// compression none is the switch for hosts where CPU counts more than
// bytes.
const gzipLevel = gzip.BestSpeed

// chunkBytes is how much encoded JSON is buffered before it is handed to
// the compressor: small enough to stay in cache, large enough that the
// calls cost nothing. An event longer than this makes a longer chunk.
const chunkBytes = 32 << 10

// gzipWriters pools compressors: each holds a few hundred KiB of tables,
// so they are reused across requests rather than made per body.
var gzipWriters = sync.Pool{New: func() any {
	w, err := gzip.NewWriterLevel(nil, gzipLevel)
	if err != nil {
		panic(err) // gzipLevel is a valid level
	}
	return w
}}

// appender is an io.Writer that appends to a byte slice.
type appender struct{ b []byte }

func (a *appender) Write(p []byte) (int, error) {
	a.b = append(a.b, p...)
	return len(p), nil
}

// encode sets sc.wire to the PutLogEvents body of evs as it goes on the
// wire, and reports whether that is gzip-compressed. With compression,
// the JSON is encoded a chunk at a time straight into the compressor, so
// the plain body is never held whole; it is encoded again, plain, only
// when compression would not make it smaller.
func (s *Sink) encode(sc *scratch, dest pipeline.Dest, evs []event) (gzipped bool) {
	if s.opts.Compression == CompressionNone {
		sc.wire.b = appendPutLogEvents(sc.wire.b[:0], dest, evs)
		return false
	}

	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	sc.wire.b = sc.wire.b[:0]
	zw.Reset(&sc.wire)
	plain := 0
	chunk := appendHead(sc.chunk[:0], dest)
	var prefix eventPrefix
	for i, e := range evs {
		chunk = prefix.appendEvent(chunk, i, e)
		if len(chunk) >= chunkBytes {
			plain += len(chunk)
			_, _ = zw.Write(chunk) // an appender never fails
			chunk = chunk[:0]
		}
	}
	chunk = appendTail(chunk)
	plain += len(chunk)
	_, _ = zw.Write(chunk)
	_ = zw.Close()
	sc.keepChunk(chunk)

	if len(sc.wire.b) < plain {
		return true
	}
	sc.wire.b = appendPutLogEvents(sc.wire.b[:0], dest, evs)
	return false
}

// keepChunk keeps chunk's memory for the next body, unless one huge event
// grew it far past chunkBytes.
func (sc *scratch) keepChunk(chunk []byte) {
	if cap(chunk) <= 4*chunkBytes {
		sc.chunk = chunk[:0]
	} else {
		sc.chunk = nil
	}
}
