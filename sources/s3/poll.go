package s3

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"go.uber.org/zap"

	"github.com/corral-logs/corral/internal/statefile"
)

// maxAttempts is how many listings try an object that fails before it is
// given up for good.
const maxAttempts = 3

// pollLoop lists the prefix every interval and hands each object not read
// yet to the workers, until ctx ends.
func (s *Source) pollLoop(ctx context.Context, work chan<- *job) error {
	p := s.opts.Poll
	failing := false
	for {
		err := s.list(ctx, work)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil && !failing:
			s.log.Warn("list bucket failed, retrying at the next interval",
				zap.String("bucket", p.Bucket), zap.Error(err))
			failing = true
		case err == nil && failing:
			s.log.Info("listing bucket again", zap.String("bucket", p.Bucket))
			failing = false
		}
		if err := s.poll.save(); err != nil {
			s.log.Error("save poll state", zap.Error(err))
		}
		if !sleep(ctx, p.Interval) {
			return nil
		}
	}
}

// list walks the prefix once. Objects last modified before the window are
// left alone, and keys read within it are remembered, so a late key is
// read once wherever it sorts.
//
// Limitation: every listing walks the whole prefix, old keys included,
// since S3 cannot list by time; a prefix of many thousand objects belongs
// behind an SQS queue.
func (s *Source) list(ctx context.Context, work chan<- *job) error {
	p := s.opts.Poll
	horizon := s.opts.Now().Add(-p.Window)
	s.poll.prune(horizon)
	pages := awss3.NewListObjectsV2Paginator(s.s3, &awss3.ListObjectsV2Input{
		Bucket: aws.String(p.Bucket),
		Prefix: aws.String(p.Prefix),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list objects: %w", err)
		}
		for _, o := range page.Contents {
			key, mod := aws.ToString(o.Key), aws.ToTime(o.LastModified)
			if mod.Before(horizon) || s.poll.seen(key) {
				continue
			}
			s.mu.Lock()
			_, busy := s.inFlight[key]
			j := &job{
				objects: []Object{{Bucket: p.Bucket, Key: key, Size: aws.ToInt64(o.Size)}},
				key:     key,
				mod:     mod,
			}
			if !busy {
				s.inFlight[key] = j
			}
			s.mu.Unlock()
			if busy {
				continue
			}
			select {
			case work <- j:
			case <-ctx.Done():
				return nil
			}
		}
	}
	s.Stats.Listings.Add(1)
	return nil
}

// pollState remembers the keys read within the window, and is saved in
// the state directory.
type pollState struct {
	path   string
	saveMu sync.Mutex // serializes save, so an older state never overwrites a newer one

	mu       sync.Mutex
	keys     map[string]int64 // guarded by mu: key -> last modified, Unix seconds
	failures map[string]int   // guarded by mu: failed attempts of keys not given up
	dirty    bool             // guarded by mu
	savedAt  time.Time        // guarded by mu
}

// stateFile is the saved form of pollState.
type stateFile struct {
	Version int              `json:"version"`
	Keys    map[string]int64 `json:"keys"`
}

// loadPollState reads the state at path; a missing file, or an empty
// path, is an empty state. An unreadable file gives an empty state and
// the error.
func loadPollState(path string) (*pollState, error) {
	st := &pollState{path: path, keys: make(map[string]int64), failures: make(map[string]int)}
	if path == "" {
		return st, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read poll state: %w", err)
	}
	var f stateFile
	if err := json.Unmarshal(data, &f); err != nil {
		return st, fmt.Errorf("read poll state %s: %w", path, err)
	}
	for k, v := range f.Keys {
		st.keys[k] = v
	}
	return st, nil
}

func (p *pollState) seen(key string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.keys[key]
	return ok
}

// markDone remembers a key whose events were all delivered.
func (p *pollState) markDone(key string, mod time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys[key] = mod.Unix()
	delete(p.failures, key)
	p.dirty = true
}

// markFailed counts a failed attempt; the last attempt remembers the key,
// so that it is not tried again.
func (p *pollState) markFailed(key string, mod time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failures[key]++
	if p.failures[key] >= maxAttempts {
		p.keys[key] = mod.Unix()
		delete(p.failures, key)
		p.dirty = true
	}
}

// prune forgets keys last modified before horizon: listings skip them by
// their time.
func (p *pollState) prune(horizon time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	h := horizon.Unix()
	for k, mod := range p.keys {
		if mod < h {
			delete(p.keys, k)
			p.dirty = true
		}
	}
}

// saveEvery saves if the state changed and the last save is at least d
// old.
func (p *pollState) saveEvery(d time.Duration) error {
	p.mu.Lock()
	recent := time.Since(p.savedAt) < d
	p.mu.Unlock()
	if recent {
		return nil
	}
	return p.save()
}

// save writes the state if it changed.
func (p *pollState) save() error {
	p.saveMu.Lock()
	defer p.saveMu.Unlock()
	p.mu.Lock()
	if p.path == "" || !p.dirty {
		p.mu.Unlock()
		return nil
	}
	data, err := json.Marshal(stateFile{Version: 1, Keys: p.keys})
	p.dirty = false
	p.savedAt = time.Now()
	p.mu.Unlock()
	if err != nil {
		return fmt.Errorf("encode poll state: %w", err)
	}
	if err := statefile.Write(p.path, data, 0o600); err != nil {
		p.mu.Lock()
		p.dirty = true
		p.mu.Unlock()
		return err
	}
	return nil
}
