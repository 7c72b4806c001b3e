package file

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/corral-logs/corral/internal/statefile"
	"github.com/corral-logs/corral/pipeline"
)

// fileKey is a file's identity on this host: device and inode.
type fileKey struct {
	Dev uint64
	Ino uint64
}

func (k fileKey) String() string { return fmt.Sprintf("%d:%d", k.Dev, k.Ino) }

// fingerprintBytes is how much of a file's start its fingerprint covers. It
// tells a file from a new one that got the inode of a deleted one.
const fingerprintBytes = 1024

// fingerprint hashes the first n bytes of a file.
type fingerprint struct {
	Len  int    `json:"fp_len"`
	Hash uint64 `json:"fp"`
}

// readFingerprint fingerprints the first min(size, fingerprintBytes) bytes
// of f.
func readFingerprint(f io.ReaderAt, size int64) (fingerprint, error) {
	n := int(min(size, fingerprintBytes))
	buf := make([]byte, n)
	got, err := f.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return fingerprint{}, err
	}
	return fingerprintOf(buf[:got]), nil
}

func fingerprintOf(b []byte) fingerprint {
	h := fnv.New64a()
	h.Write(b)
	return fingerprint{Len: len(b), Hash: h.Sum64()}
}

// matches reports whether f, of the given size, starts with the bytes fp
// was taken of.
func (fp fingerprint) matches(f io.ReaderAt, size int64) bool {
	if size < int64(fp.Len) {
		return false
	}
	got, err := readFingerprint(f, int64(fp.Len))
	return err == nil && got == fp
}

// entry is the saved state of one file.
type entry struct {
	Path string `json:"path"`
	Key  fileKey
	fingerprint
	Offset int64     `json:"offset"`
	Seen   time.Time `json:"seen"` // when a scan last found the file

	tailer  *tailer           // while the file is being read
	tracker *pipeline.Tracker // from the first read until the entry is forgotten
	readTo  int64             // where the last tailer of this run stopped
}

// savedState is what of an entry the file holds. Seen is kept to the
// minute: it only matters for forgetting, and a scan that finds the same
// files then changes nothing to write.
type savedState struct {
	path   string
	fp     fingerprint
	offset int64
	seen   int64
}

func (e *entry) saved() savedState {
	return savedState{e.Path, e.fingerprint, e.Offset, e.Seen.Unix() / 60}
}

// checkpoints is the saved state of every file of one source.
//
// Limitation: the file is rewritten whole when anything changed, about 170
// bytes per file followed; fine for thousands of files, not millions.
type checkpoints struct {
	path    string
	entries map[fileKey]*entry
	saved   []byte // what the file holds, to skip writes that change nothing
}

// checkpointFile is the format on disk.
type checkpointFile struct {
	Version int         `json:"version"`
	Files   []diskEntry `json:"files"`
}

type diskEntry struct {
	Path string `json:"path"`
	Dev  uint64 `json:"dev"`
	Ino  uint64 `json:"ino"`
	fingerprint
	Offset int64     `json:"offset"`
	Seen   time.Time `json:"seen"`
}

const checkpointVersion = 1

// loadCheckpoints reads the state at path. A missing file is an empty
// state; an unreadable or corrupt one is an empty state and an error that
// says so, which the caller logs: the files are read again from their
// start, so nothing is lost.
func loadCheckpoints(path string) (*checkpoints, error) {
	c := &checkpoints{path: path, entries: make(map[fileKey]*entry)}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("read checkpoints: %w", err)
	}
	var f checkpointFile
	if err := json.Unmarshal(data, &f); err != nil || f.Version != checkpointVersion {
		if err == nil {
			err = fmt.Errorf("unknown version %d", f.Version)
		}
		return c, fmt.Errorf("checkpoint file %s is corrupt (%d bytes), reading files from their start: %w", path, len(data), err)
	}
	for _, d := range f.Files {
		k := fileKey{Dev: d.Dev, Ino: d.Ino}
		c.entries[k] = &entry{Path: d.Path, Key: k, fingerprint: d.fingerprint, Offset: d.Offset, Seen: d.Seen}
	}
	return c, nil
}

// save writes every entry atomically, after taking the committed position
// and fingerprint of files being read, and forgets files not seen since forgetBefore.
func (c *checkpoints) save(forgetBefore time.Time) error {
	// First bring every entry up to date and see whether anything that is
	// saved changed: most calls find nothing to write.
	changed := c.saved == nil
	for k, e := range c.entries {
		before := e.saved()
		if e.tracker != nil {
			e.Offset = e.tracker.Committed().Offset
		}
		if e.tailer != nil {
			e.fingerprint = e.tailer.fingerprint()
		} else if e.Seen.Before(forgetBefore) {
			delete(c.entries, k)
			changed = true
			continue
		}
		if e.saved() != before {
			changed = true
		}
	}
	if !changed {
		return nil
	}
	f := checkpointFile{Version: checkpointVersion, Files: make([]diskEntry, 0, len(c.entries))}
	for k, e := range c.entries {
		f.Files = append(f.Files, diskEntry{Path: e.Path, Dev: k.Dev, Ino: k.Ino, fingerprint: e.fingerprint,
			Offset: e.Offset, Seen: e.Seen.UTC().Truncate(time.Minute)})
	}
	slices.SortFunc(f.Files, func(a, b diskEntry) int { return strings.Compare(a.Path, b.Path) })
	data, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode checkpoints: %w", err)
	}
	if bytes.Equal(data, c.saved) {
		return nil
	}
	if err := statefile.Write(c.path, data, 0o600); err != nil {
		return err
	}
	c.saved = data
	return nil
}
