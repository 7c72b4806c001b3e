package byteset

import (
	"math/rand/v2"
	"testing"
)

// jsonEscapes is the set a JSON encoder escapes; redactBytes is what the
// built-in redaction rules stop at.
var (
	jsonEscapes = func(c byte) bool { return c < 0x20 || c == '"' || c == '\\' }
	redactBytes = func(c byte) bool {
		return c == 'A' || c == 'B' || c == 'b' || c == 'J' || c == 'q' || c == '=' || c == ':'
	}
)

// sentinel fills the words Mark must not touch.
const sentinel = 0x5a5a5a5a5a5a5a5a

// checkMark runs Mark on b and checks every bit against in, that the bits
// past len(b) in the last word are clear and that the word after is left
// alone.
func checkMark(t *testing.T, s *Set, in func(byte) bool, b []byte) {
	t.Helper()
	bits := make([]uint64, Words(len(b))+1)
	for i := range bits {
		bits[i] = sentinel
	}
	s.Mark(bits, b)
	for i := range Words(len(b)) * 64 {
		want := i < len(b) && in(b[i])
		if got := bits[i/64]>>(i%64)&1 == 1; got != want {
			t.Fatalf("len %d: bit %d is %v, want %v (byte %#x)", len(b), i, got, want, b[min(i, len(b)-1)])
		}
	}
	if bits[len(bits)-1] != sentinel {
		t.Fatalf("len %d: Mark wrote the word after its bits", len(b))
	}
}

func TestMark(t *testing.T) {
	sets := map[string]func(byte) bool{
		"json escapes": jsonEscapes,
		"redaction":    redactBytes,
		"one byte":     func(c byte) bool { return c == '\n' },
		"none":         func(byte) bool { return false },
		"all":          func(byte) bool { return true },
		"high bytes":   func(c byte) bool { return c >= 0x80 },
		"eight":        func(c byte) bool { return c>>4 < 8 && c&15 == c>>4 },
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for name, in := range sets {
		s, err := New(in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for c := range 256 {
			if s.Has(byte(c)) != in(byte(c)) {
				t.Fatalf("%s: Has(%#x) = %v", name, c, !in(byte(c)))
			}
		}
		for n := range 300 {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(rng.Uint32())
			}
			checkMark(t, s, in, b)
			// Mostly one byte, as text is, so set and clear bits both run.
			for i := range b {
				b[i] = 'a'
				if rng.IntN(8) == 0 {
					b[i] = byte(rng.Uint32())
				}
			}
			checkMark(t, s, in, b)
		}
	}
}

// TestMarkShortBits: bits shorter than Words(len(b)) is a panic, even when
// its capacity would hold the words, which belong to someone else.
func TestMarkShortBits(t *testing.T) {
	s, err := New(jsonEscapes)
	if err != nil {
		t.Fatal(err)
	}
	buf := []uint64{0, sentinel, sentinel, sentinel}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Mark of 200 bytes into 1 word did not panic")
			}
		}()
		s.Mark(buf[:1], make([]byte, 200))
	}()
	if buf[1] != sentinel {
		t.Error("Mark wrote past its slice's length")
	}
}

func TestNewRefusesNineClasses(t *testing.T) {
	nine := func(c byte) bool { return c>>4 < 9 && c&15 == c>>4 }
	if _, err := New(nine); err == nil {
		t.Fatal("New took a set of nine nibble classes")
	}
}

// FuzzMark checks Mark against the set's own definition for any bytes,
// with a set made of the first few members: up to eight bytes, or, when
// the first is '-', the range of the next two and up to five bytes more
// (a range needs at most three nibble classes).
func FuzzMark(f *testing.F) {
	f.Add([]byte("\"\\\n"), []byte(`{"msg":"a\tb\\c"}`+"\x00\x1f\x7f\xff"))
	f.Add([]byte("AbJq=:"), []byte("user=admin password: AKIA eyJhbGci mysql://x"))
	f.Add([]byte("-\x00\x1f\"\\"), []byte(`{"msg":"a\tb\\c"}`+"\x00\x1f\x20\x7f\xff"))
	f.Fuzz(func(t *testing.T, members, b []byte) {
		var in [256]bool
		singles := members[:min(len(members), 8)]
		if len(members) >= 3 && members[0] == '-' {
			for c := int(members[1]); c <= int(members[2]); c++ {
				in[c] = true
			}
			singles = members[3:min(len(members), 8)]
		}
		for _, c := range singles {
			in[c] = true
		}
		s, err := New(func(c byte) bool { return in[c] })
		if err != nil {
			t.Fatalf("New of %q: %v", members[:min(len(members), 8)], err)
		}
		checkMark(t, s, func(c byte) bool { return in[c] }, b)
	})
}

func BenchmarkMark(b *testing.B) {
	s, err := New(jsonEscapes)
	if err != nil {
		b.Fatal(err)
	}
	msg := []byte(`{"time":"2026-03-20T12:00:07.123456Z","level":"info","msg":"request served",` +
		`"path":"/api/v1/users","status":200} seq=0000000042 pad=qwertyuiopasdfghjklzxcvbnmqwertyuiopasdfghjklzxcvbnmqwertyuiopas`)
	var bits [4]uint64
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		s.Mark(bits[:], msg)
	}
}
