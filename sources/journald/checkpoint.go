package journald

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/corral-logs/corral/internal/statefile"
)

// checkpoint is the saved cursor of one journald source: the cursor of the
// last entry whose events were all delivered.
type checkpoint struct {
	path string

	mu    sync.Mutex // guards saved and writes to path
	saved string     // the cursor the file holds
}

// checkpointFile is the format on disk.
type checkpointFile struct {
	Version int    `json:"version"`
	Cursor  string `json:"cursor"`
}

const checkpointVersion = 1

// loadCheckpoint reads the checkpoint at path. A missing file gives an
// empty cursor; an unreadable or corrupt one gives an empty cursor and an
// error that says so, which the caller logs: the source then starts as if
// it had never run (at least once, with duplicates).
func loadCheckpoint(path string) (*checkpoint, error) {
	c := &checkpoint{path: path}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("read checkpoint: %w", err)
	}
	var f checkpointFile
	err = json.Unmarshal(data, &f)
	if err != nil || f.Version != checkpointVersion || !validCursor(f.Cursor) {
		if err == nil {
			err = fmt.Errorf("version %d, cursor %q", f.Version, f.Cursor)
		}
		return c, fmt.Errorf("checkpoint file %s is corrupt (%d bytes): %w", path, len(data), err)
	}
	c.saved = f.Cursor
	return c, nil
}

// cursor returns the saved cursor.
func (c *checkpoint) cursor() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.saved
}

// save writes cursor atomically, unless it is empty or already saved.
func (c *checkpoint) save(cursor string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cursor == "" || cursor == c.saved {
		return nil
	}
	data, err := json.Marshal(checkpointFile{Version: checkpointVersion, Cursor: cursor})
	if err != nil {
		return fmt.Errorf("encode checkpoint: %w", err)
	}
	if err := statefile.Write(c.path, data, 0o600); err != nil {
		return err
	}
	c.saved = cursor
	return nil
}
