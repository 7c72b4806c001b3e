package main

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corral-logs/corral/internal/cwltest"
)

// TestSoakRotationAndKills writes numbered lines while the file is rotated
// by rename-and-create every few hundred milliseconds, and kills corral
// with SIGKILL at random moments, 20 times, restarting it each time. Every
// number must arrive, and duplicates stay within what a kill can cause.
//
// Rotated files keep a name that the paths match (app.log.N), as the
// README advises, so that a rotation while corral is down loses nothing.
// Truncation in place (copytruncate) is left out here: the bytes written
// between the last read and the truncation exist only in the copy, which
// corral cannot tell from a new file; TestB01 and the file source's tests
// cover it.
func TestSoakRotationAndKills(t *testing.T) {
	if testing.Short() {
		t.Skip("soak test; run without -short")
	}
	fake := cwltest.New(t, cwltest.Options{})
	dir, state := t.TempDir(), t.TempDir()
	cfg := fakeConfig(t, fake, state, filepath.Join(dir, "app.log*"), "")
	path := filepath.Join(dir, "app.log")

	var written atomic.Int64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		rotations := 0
		for {
			f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
			if err != nil {
				t.Error(err)
				return
			}
			w := bufio.NewWriter(f)
			until := time.Now().Add(time.Duration(100+rand.IntN(400)) * time.Millisecond)
			for time.Now().Before(until) {
				for range 20 {
					fmt.Fprintf(w, "n-%08d\n", written.Load())
					written.Add(1)
				}
				w.Flush()
				select {
				case <-stop:
					f.Close()
					return
				case <-time.After(10 * time.Millisecond):
				}
			}
			f.Close()
			rotations++
			if err := os.Rename(path, fmt.Sprintf("%s.%d", path, rotations)); err != nil {
				t.Error(err)
				return
			}
		}
	}()

	const kills = 20
	for range kills {
		p := startCorral(t, fakeEnv, "run", "--config", cfg)
		time.Sleep(time.Duration(200+rand.IntN(800)) * time.Millisecond)
		p.kill()
	}
	close(stop)
	<-done
	total := int(written.Load())

	p := startCorral(t, fakeEnv, "run", "--config", cfg)
	var seen map[int]int
	waitUntil(t, 90*time.Second, func() bool {
		seen = numbered(fake.Events("lg-test", "s1"))
		return len(seen) == total
	}, func() string { return fmt.Sprintf("%d of %d lines arrived", len(seen), total) })
	if code := p.stop(10 * time.Second); code != 0 {
		t.Errorf("exit code = %d, want 0", code)
	}

	duplicates := lostAndDuplicated(t, seen, total)
	// Each kill may re-send what was delivered since the last checkpoint
	// save (200 ms) and what was in flight: bound it by a second of
	// writing (2,000 lines) per kill.
	if limit := kills * 2000; duplicates > limit {
		t.Errorf("%d duplicates after %d kills, want at most %d", duplicates, kills, limit)
	}
	t.Logf("%d lines, %d kills, %d duplicates", total, kills, duplicates)
	if v := fake.Violations(); len(v) > 0 {
		t.Errorf("invalid requests: %v", v)
	}
}
