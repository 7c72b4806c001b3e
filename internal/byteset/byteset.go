// Package byteset finds every occurrence of a small set of bytes in a
// buffer in one pass, as a bitmap to walk with math/bits: the JSON bytes
// an encoder must escape, the bytes a redaction prefilter stops at.
//
// On amd64 a set is two 16-byte tables indexed by the low and the high
// nibble of a byte (PSHUFB), so 16 bytes are tested with a dozen
// instructions whatever the set holds. That works for sets whose bytes,
// grouped by high nibble, fall into at most eight patterns of low
// nibbles: any set of up to eight bytes, and ranges such as the control
// bytes. Elsewhere, and on a CPU without SSSE3, Mark looks at one byte at
// a time; Fast says which, so that callers with a vector plan of their
// own (bytes.IndexByte) can keep it.
package byteset

import (
	"errors"
	"math/bits"
)

// Fast reports whether Mark runs vector code on this machine.
func Fast() bool { return haveVector }

// A Set is a set of bytes that Mark finds.
type Set struct {
	// nibbles[l] and nibbles[16+h] are the classes of the bytes with low
	// nibble l and high nibble h; a byte is in the set when they share
	// one.
	nibbles [32]byte
	in      [256]bool
}

// New returns the set of the bytes for which in is true. It fails when
// the set needs more than eight classes: more than eight high nibbles
// whose bytes differ in their low nibbles.
func New(in func(c byte) bool) (*Set, error) {
	s := &Set{}
	var lows [16]uint16 // lows[h]: the low nibbles of the bytes with high nibble h
	for c := range 256 {
		if in(byte(c)) {
			s.in[c] = true
			lows[c>>4] |= 1 << (c & 15)
		}
	}
	var classes []uint16
	for h, l := range lows {
		if l == 0 {
			continue
		}
		k := 0
		for k < len(classes) && classes[k] != l {
			k++
		}
		if k == len(classes) {
			if k == 8 {
				return nil, errors.New("byteset: the set needs more than eight nibble classes")
			}
			classes = append(classes, l)
		}
		s.nibbles[16+h] = 1 << k
		for m := l; m != 0; m &= m - 1 {
			s.nibbles[bits.TrailingZeros16(m)] |= 1 << k
		}
	}
	return s, nil
}

// Has reports whether c is in s.
func (s *Set) Has(c byte) bool { return s.in[c] }

// Words returns how many words of bits Mark needs for n bytes.
func Words(n int) int { return (n + 63) / 64 }

// Mark sets bit i%64 of bits[i/64] when b[i] is in s and clears it when it
// is not, for every i below len(b); the rest of the last word it writes is
// cleared, the words after it are left alone. bits must hold Words(len(b))
// words.
func (s *Set) Mark(bits []uint64, b []byte) {
	n := len(b)
	if n == 0 {
		return
	}
	_ = bits[Words(n)-1] // a short bits panics, not written past its length
	bits = bits[:Words(n)]
	if haveVector && n >= 16 {
		bits[len(bits)-1] = 0
		markVector(&s.nibbles, &b[0], n, &bits[0])
		return
	}
	clear(bits)
	for i, c := range b {
		if s.in[c] {
			bits[i>>6] |= 1 << (i & 63)
		}
	}
}
