//go:build !amd64 || purego

package byteset

// Limitation: only amd64 has a vector Mark; elsewhere (arm64) it tests a
// byte at a time and Fast reports false, so callers keep their
// bytes.IndexByte passes, which Go vectorizes on arm64 too.
const haveVector = false

func markVector(*[32]byte, *byte, int, *uint64) { panic("byteset: no vector code") }
