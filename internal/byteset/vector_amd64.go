//go:build !purego

package byteset

import "golang.org/x/sys/cpu"

var haveVector = cpu.X86.HasSSSE3

// markVector writes the bits of the n bytes at p, n >= 16, to dst as one
// uint16 for each 16 bytes, the last one for the bytes past the last
// multiple of 16.
//
//go:noescape
func markVector(nibbles *[32]byte, p *byte, n int, dst *uint64)
