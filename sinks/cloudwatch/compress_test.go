package cloudwatch

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"
	"go.uber.org/zap/zaptest"

	"github.com/corral-logs/corral/internal/cwltest"
)

// signingFake is a fake that checks every signature against the key
// newSink signs with.
func signingFake(t *testing.T) *cwltest.Server {
	return cwltest.New(t, cwltest.Options{SecretKeys: map[string]string{"AKIDTEST": "secret"}})
}

// puts returns the fake's PutLogEvents requests answered 200.
func puts(fake *cwltest.Server) []cwltest.Request {
	var out []cwltest.Request
	for _, r := range fake.Requests() {
		if r.Status == 200 {
			out = append(out, r)
		}
	}
	return out
}

// TestCompressedBodyAccepted sends log lines, which compress well: the body
// goes gzip-encoded, signed over the compressed bytes (the fake checks),
// and the events arrive as they were.
func TestCompressedBodyAccepted(t *testing.T) {
	fake := signingFake(t)
	s := newSink(t, fake, nil)
	var msgs []string
	for i := range 2000 {
		msgs = append(msgs, fmt.Sprintf(`{"level":"info","msg":"request served","path":"/api/v1/items/%d",`+
			`"status":200,"note":"quote \" and tab \t"}`, i))
	}
	send(t, s, request(time.Now().UnixMilli(), msgs...))

	if diff := cmp.Diff(msgs, messages(fake.Events(dest.Group, dest.Stream))); diff != "" {
		t.Errorf("stored events (-want +got):\n%s", diff)
	}
	reqs := puts(fake)
	if len(reqs) != 1 {
		t.Fatalf("%d accepted requests, want 1", len(reqs))
	}
	if r := reqs[0]; !r.Gzip || r.WireBytes*3 > r.BodyBytes {
		t.Errorf("request gzip=%t with %d bytes on the wire for %d of JSON, want gzip and under a third",
			r.Gzip, r.WireBytes, r.BodyBytes)
	}
	var wire int64
	for _, r := range fake.Requests() {
		wire += int64(r.WireBytes)
	}
	if got := s.Stats.WireBytes.Load(); got != wire {
		t.Errorf("Stats.WireBytes = %d, want %d, the bodies the fake received", got, wire)
	}
}

// TestIncompressibleBodySentPlain: a body that gzip would not shrink, such
// as one short event, goes as it is, and is signed as it is.
func TestIncompressibleBodySentPlain(t *testing.T) {
	fake := signingFake(t)
	s := newSink(t, fake, nil)
	send(t, s, request(time.Now().UnixMilli(), "x"))

	if diff := cmp.Diff([]string{"x"}, messages(fake.Events(dest.Group, dest.Stream))); diff != "" {
		t.Errorf("stored events (-want +got):\n%s", diff)
	}
	for _, r := range puts(fake) {
		if r.Gzip || r.WireBytes != r.BodyBytes {
			t.Errorf("request gzip=%t, %d bytes on the wire for %d of JSON: want plain", r.Gzip, r.WireBytes, r.BodyBytes)
		}
	}
}

func TestCompressionNone(t *testing.T) {
	fake := signingFake(t)
	s, err := New(context.Background(), Options{
		AWS: aws.Config{
			Region:      "us-east-1",
			Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		},
		Endpoint:    fake.URL(),
		Log:         zaptest.NewLogger(t),
		Compression: CompressionNone,
	})
	if err != nil {
		t.Fatal(err)
	}
	msgs := []string{strings.Repeat("compressible ", 100), strings.Repeat("again ", 100)}
	send(t, s, request(time.Now().UnixMilli(), msgs...))

	if diff := cmp.Diff(msgs, messages(fake.Events(dest.Group, dest.Stream))); diff != "" {
		t.Errorf("stored events (-want +got):\n%s", diff)
	}
	for _, r := range puts(fake) {
		if r.Gzip {
			t.Errorf("request gzip-encoded with compression none: %+v", r)
		}
	}
}

// TestEncodeChoosesTheSmaller checks encode directly: a body too small
// for gzip to shrink goes plain, and what goes compressed decodes to the
// plain body, across chunk boundaries and with events longer than a chunk.
func TestEncodeChoosesTheSmaller(t *testing.T) {
	s := &Sink{opts: Options{Compression: CompressionGzip}}
	long := []byte(strings.Repeat("a long repeated line ", 4*chunkBytes/20))
	tests := []struct {
		name     string
		evs      []event
		wantGzip bool
	}{
		{"one short event", []event{{1, []byte("x")}}, false},
		{"many lines", manyEvents(5000), true},
		{"event longer than a chunk", []event{{1, []byte("short")}, {2, long}, {3, []byte("after")}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sc scratch
			gzipped := s.encode(&sc, dest, tt.evs)
			plain := appendPutLogEvents(nil, dest, tt.evs)
			if gzipped != tt.wantGzip {
				t.Fatalf("gzipped = %t with %d bytes for %d plain, want %t", gzipped, len(sc.wire.b), len(plain), tt.wantGzip)
			}
			got := sc.wire.b
			if gzipped {
				if len(got) >= len(plain) {
					t.Errorf("compressed to %d bytes from %d", len(got), len(plain))
				}
				got = gunzip(t, got)
			}
			if string(got) != string(plain) {
				t.Errorf("body differs from the plain encoding (%d vs %d bytes)", len(got), len(plain))
			}
		})
	}
}

// manyEvents returns n log-like events.
func manyEvents(n int) []event {
	evs := make([]event, n)
	for i := range evs {
		evs[i] = event{ts: int64(i), msg: fmt.Appendf(nil,
			`10.0.%d.%d - - [20/Mar/2026:12:00:00 +0000] "GET /api/v1/items/%d HTTP/1.1" 200 %d "-" "curl/8.5.0"`,
			i%256, i%7, i, i*13%50000)}
	}
	return evs
}

// TestAppendStringMatchesJSON checks the word-at-a-time escaping against
// encoding/json's decoding, on random strings dense in bytes to escape,
// placed at every offset of a word.
func TestAppendStringMatchesJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	alphabet := []string{"a", "Z", " ", "\"", "\\", "\n", "\t", "\r", "\x00", "\x1f", "\x7f", "é", "✓", "\u2028", "😀", "/"}
	for i := range 20000 {
		var b strings.Builder
		for range rng.IntN(40) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		s := b.String()
		enc := appendString(nil, []byte(s))
		var got string
		if err := json.Unmarshal(enc, &got); err != nil {
			t.Fatalf("case %d: %q encoded as invalid JSON %s: %v", i, s, enc, err)
		}
		if got != s {
			t.Fatalf("case %d: %q encoded as %s, which decodes to %q", i, s, enc, got)
		}
		if name := appendName(nil, s); string(name) != string(enc) {
			t.Fatalf("case %d: %q encoded as %s by appendName, %s by appendString", i, s, name, enc)
		}
	}
}

// TestEscapeMask compares the 8-byte test with a byte at a time, on words
// built from the bytes around each threshold: the lowest flagged byte is
// the first byte to escape, and no flag means none.
func TestEscapeMask(t *testing.T) {
	edges := []byte{0x00, 0x01, 0x1e, 0x1f, 0x20, 0x21, '"', 0x23, 0x5b, '\\', 0x5d, 0x7f, 0x80, 0x9f, 0xa0, 0xdc, 0xe2, 0xff}
	rng := rand.New(rand.NewPCG(7, 8))
	for range 200000 {
		var w uint64
		first := 8
		for lane := range 8 {
			c := edges[rng.IntN(len(edges))]
			if rng.IntN(3) > 0 {
				c = byte(' ' + rng.IntN(95)) // mostly plain text
			}
			w |= uint64(c) << (8 * lane)
			if first == 8 && c < utf8.RuneSelf && needsEscape[c] {
				first = lane
			}
		}
		got := 8
		if m := escapeMask(w); m != 0 {
			got = bits.TrailingZeros64(m) >> 3
		}
		if got != first {
			t.Fatalf("escapeMask(%#016x) flags byte %d first, want %d", w, got, first)
		}
	}
}

// appendString appends msg as a JSON string, quotes and all, as an event's
// message is encoded.
func appendString(dst, msg []byte) []byte {
	dst = append(dst, '"')
	return append(appendStringBody(dst, msg), '"')
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// FuzzAppendString checks that any valid UTF-8 message is encoded as a JSON
// string that encoding/json reads back as the message, as appendName,
// written a byte at a time, and both searches for the bytes to escape
// encode it too.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", `say "hi"`, "a\\b\nc\rd\te\x00f\x1fg", "\u2028 ✓ 😀 12345678\"12345678", strings.Repeat("\x01", 9),
		strings.Repeat(`{"k":"v\\"}`+"\t", 200)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // the framer makes every message valid UTF-8
		}
		enc := appendString([]byte("prefix"), []byte(s))
		if !bytes.HasPrefix(enc, []byte("prefix")) {
			t.Fatalf("%q: the bytes before were changed: %q", s, enc)
		}
		enc = enc[len("prefix"):]
		var got string
		if err := json.Unmarshal(enc, &got); err != nil || got != s {
			t.Fatalf("%q encoded as %s, which decodes to %q (%v)", s, enc, got, err)
		}
		if name := appendName(nil, s); string(name) != string(enc) {
			t.Fatalf("%q encoded as %s by appendName, %s by appendString", s, name, enc)
		}
		// Both searches, whichever this machine runs.
		body := appendStringBody(nil, []byte(s))
		if words := appendStringBodyWords(nil, []byte(s)); string(words) != string(body) {
			t.Fatalf("%q encoded as %s by the bitmap search, %s by the 8-byte one", s, body, words)
		}
	})
}
