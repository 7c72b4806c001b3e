package file

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"go.uber.org/zap"
)

// adopt finds the saved state of a file that was copied and then
// truncated or replaced (copytruncate while corral was down): a new file
// that starts with the bytes a saved entry was fingerprinted on, where the
// entry's own file no longer does, is that entry's file and goes on from
// its checkpoint instead of being read again whole.
//
// Limitation: a new file that merely starts like a file that was since
// truncated (the same first lines, up to 1 KiB) is taken for its copy.
func (s *Source) adopt(f *os.File, size int64, key fileKey) *entry {
	var head [fingerprintBytes]byte
	n, _ := f.ReadAt(head[:min(size, fingerprintBytes)], 0)
	for i, c := range s.orphans {
		if c.fingerprint.Len <= n && fingerprintOf(head[:c.fingerprint.Len]) == c.fingerprint {
			s.orphans = append(s.orphans[:i], s.orphans[i+1:]...)
			c.Key, c.tracker, c.readTo = key, nil, 0
			s.cps.entries[key] = c
			s.log.Info("file is a copy of a truncated one, reading on from its checkpoint",
				zap.String("path", c.Path), zap.Int64("offset", c.Offset))
			return c
		}
	}
	for k, c := range s.cps.entries {
		if c.tailer != nil || c.fingerprint.Len == 0 || c.fingerprint.Len > n ||
			fingerprintOf(head[:c.fingerprint.Len]) != c.fingerprint || s.stillHolds(c) {
			continue
		}
		delete(s.cps.entries, k)
		c.Key, c.tracker, c.readTo = key, nil, 0
		s.cps.entries[key] = c
		s.log.Info("file is a copy of a truncated one, reading on from its checkpoint",
			zap.String("path", c.Path), zap.Int64("offset", c.Offset))
		return c
	}
	return nil
}

// stillHolds reports whether an entry's own file still starts with the
// bytes of its fingerprint.
func (s *Source) stillHolds(c *entry) bool {
	st, err := os.Stat(c.Path)
	if err != nil || keyOf(st) != c.Key {
		return false
	}
	f, err := os.Open(c.Path)
	if err != nil {
		return true // cannot tell: keep it as it is
	}
	defer f.Close()
	return c.fingerprint.matches(f, st.Size())
}

// compressedMagic are the first bytes of compressed formats.
var compressedMagic = []struct {
	name  string
	magic string
}{
	{"gzip", "\x1f\x8b"},
	{"zstd", "\x28\xb5\x2f\xfd"},
	{"xz", "\xfd7zXZ\x00"},
	{"bzip2", "BZh"},
}

// compression names the format f is compressed in, by its first bytes, or
// returns "" for a plain file.
func compression(f *os.File) string {
	var head [6]byte
	n, _ := f.ReadAt(head[:], 0)
	for _, c := range compressedMagic {
		if strings.HasPrefix(string(head[:n]), c.magic) {
			return c.name
		}
	}
	return ""
}

// compressedExts are the names of compressed files a path may name.
var compressedExts = []string{".gz", ".zst", ".xz", ".bz2"}

// namesCompressed reports whether a pattern names compressed files
// explicitly, as in /var/log/app.log.*.gz.
func namesCompressed(pattern string) bool {
	base := filepath.Base(pattern)
	for _, ext := range compressedExts {
		if strings.Contains(base, ext) {
			return true
		}
	}
	return false
}

// decompress returns a reader of f's decompressed content, past its first
// skip bytes.
func decompress(f *os.File, format string, skip int64) (io.Reader, error) {
	var z io.Reader
	var err error
	switch format {
	case "gzip":
		z, err = gzip.NewReader(f)
	case "zstd":
		var d *zstd.Decoder
		d, err = zstd.NewReader(f, zstd.WithDecoderConcurrency(1))
		z = d
	default:
		// Limitation: xz and bzip2 files are not read, even when named:
		// no decoder is built in.
		return nil, fmt.Errorf("%s files are not read", format)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s stream: %w", format, err)
	}
	if _, err := io.CopyN(io.Discard, z, skip); err != nil {
		return nil, fmt.Errorf("skip to checkpoint in %s stream: %w", format, err)
	}
	return z, nil
}
