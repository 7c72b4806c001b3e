package main

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/corral-logs/corral/internal/cwltest"
)

// fakeConfig is a config shipping the files of glob to fake, with extra
// lines for the source.
func fakeConfig(t *testing.T, fake *cwltest.Server, state, glob, extra string) string {
	t.Helper()
	return fakeConfigWith(t, fake, state, glob, "", extra)
}

// fakeConfigWith is fakeConfig with extra lines for cloudwatch too.
func fakeConfigWith(t *testing.T, fake *cwltest.Server, state, glob, cloudwatch, source string) string {
	t.Helper()
	return writeConfig(t, fmt.Sprintf(`state_dir: %s
shutdown_timeout: 3s
aws:
  region: us-east-1
  endpoint_url: %s
cloudwatch:
  log_group: lg-test
  log_stream: s1
  flush_interval: 100ms
%s
sources:
  - type: file
    paths: [%q]
%s`, state, fake.URL(), cloudwatch, glob, source))
}

// fakeEnv is the environment of a corral shipping to the fake.
var fakeEnv = []string{"AWS_ACCESS_KEY_ID=AKIDTEST", "AWS_SECRET_ACCESS_KEY=secret"}

// numbered returns how often each number of a "n-%08d" line arrived.
func numbered(evs []cwltest.Event) map[int]int {
	seen := make(map[int]int)
	for _, e := range evs {
		num, _, _ := strings.Cut(strings.TrimPrefix(e.Message, "n-"), " ")
		if n, err := strconv.Atoi(num); err == nil {
			seen[n]++
		}
	}
	return seen
}

// lostAndDuplicated fails the test for every number below total that never
// arrived, and returns how many repeats arrived.
func lostAndDuplicated(t *testing.T, seen map[int]int, total int) (duplicates int) {
	t.Helper()
	for n := range total {
		switch c := seen[n]; {
		case c == 0:
			t.Errorf("line %d lost", n)
		case c > 1:
			duplicates += c - 1
		}
	}
	return duplicates
}

// writer appends numbered lines to path until stopped.
type writer struct {
	path    string
	written atomic.Int64
	stop    chan struct{}
	done    chan struct{}
}

func startWriter(t *testing.T, path string, perTick int, tick time.Duration) *writer {
	return startPaddedWriter(t, path, perTick, tick, 0)
}

// startPaddedWriter is startWriter with lines padded to size bytes.
func startPaddedWriter(t *testing.T, path string, perTick int, tick time.Duration, size int) *writer {
	t.Helper()
	w := &writer{path: path, stop: make(chan struct{}), done: make(chan struct{})}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(w.done)
		defer f.Close()
		bw := bufio.NewWriter(f)
		ticker := time.NewTicker(tick)
		defer ticker.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-ticker.C:
			}
			for range perTick {
				line := fmt.Sprintf("n-%08d", w.written.Load())
				if pad := size - len(line) - 1; pad > 0 {
					line += " " + strings.Repeat("x", pad)
				}
				bw.WriteString(line + "\n")
				w.written.Add(1)
			}
			bw.Flush()
		}
	}()
	return w
}

func (w *writer) finish() int {
	close(w.stop)
	<-w.done
	return int(w.written.Load())
}

// TestKillNineLosesNothing kills corral with SIGKILL at random moments
// while a file grows, restarts it each time, and checks that every line
// arrived at least once and that duplicates stay within what was in
// flight at the kills.
func TestKillNineLosesNothing(t *testing.T) {
	fake := cwltest.New(t, cwltest.Options{})
	dir, state := t.TempDir(), t.TempDir()
	cfg := fakeConfig(t, fake, state, filepath.Join(dir, "*.log"), "")
	const perTick, tick = 20, 10 * time.Millisecond // 2,000 lines/s
	w := startWriter(t, filepath.Join(dir, "app.log"), perTick, tick)

	const kills = 6
	for range kills {
		p := startCorral(t, fakeEnv, "run", "--config", cfg)
		time.Sleep(time.Duration(300+rand.IntN(1200)) * time.Millisecond)
		p.kill()
	}
	total := w.finish()

	p := startCorral(t, fakeEnv, "run", "--config", cfg)
	var seen map[int]int
	waitUntil(t, 60*time.Second, func() bool {
		seen = numbered(fake.Events("lg-test", "s1"))
		return len(seen) == total
	}, func() string { return fmt.Sprintf("%d of %d lines arrived", len(seen), total) })
	if code := p.stop(10 * time.Second); code != 0 {
		t.Errorf("exit code = %d, want 0", code)
	}

	seen = numbered(fake.Events("lg-test", "s1"))
	duplicates := lostAndDuplicated(t, seen, total)
	// A kill re-sends at most what was delivered after the last saved
	// checkpoint (saved every 200 ms), plus what was in flight: well under
	// a second of writing per kill.
	limit := kills * int(time.Second/tick) * perTick
	if duplicates > limit {
		t.Errorf("%d duplicates after %d kills, want at most %d", duplicates, kills, limit)
	}
	t.Logf("%d lines, %d kills, %d duplicates", total, kills, duplicates)
	if v := fake.Violations(); len(v) > 0 {
		t.Errorf("invalid requests: %v", v)
	}
}

// TestSIGTERMDeliversAndCommits stops corral while it ships a backlog and
// checks that it exits 0, and that a restart sends the rest without
// repeating anything: what was read before SIGTERM was delivered and
// committed.
func TestSIGTERMDeliversAndCommits(t *testing.T) {
	fake := cwltest.New(t, cwltest.Options{})
	dir, state := t.TempDir(), t.TempDir()
	const total = 200_000
	var b strings.Builder
	for n := range total {
		fmt.Fprintf(&b, "n-%08d\n", n)
	}
	if err := os.WriteFile(filepath.Join(dir, "app.log"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := fakeConfig(t, fake, state, filepath.Join(dir, "*.log"), "")

	p := startCorral(t, fakeEnv, "run", "--config", cfg)
	waitUntil(t, 30*time.Second, func() bool { return len(fake.Events("lg-test", "s1")) > 0 },
		func() string { return "no event arrived" })
	if code := p.stop(10 * time.Second); code != 0 {
		t.Fatalf("exit code = %d, want 0", code)
	}
	first := len(fake.Events("lg-test", "s1"))

	p = startCorral(t, fakeEnv, "run", "--config", cfg)
	var seen map[int]int
	waitUntil(t, 60*time.Second, func() bool {
		seen = numbered(fake.Events("lg-test", "s1"))
		return len(seen) == total
	}, func() string { return fmt.Sprintf("%d of %d lines arrived", len(seen), total) })
	p.stop(10 * time.Second)
	for n, c := range seen {
		if c != 1 {
			t.Fatalf("line %d arrived %d times, want once (first run delivered %d)", n, c, first)
		}
	}
}

// TestShutdownTimeoutDuringOutage stops corral while the endpoint is down:
// it must exit 0 within shutdown_timeout, and lose nothing: a restart
// delivers every line once the endpoint is back.
func TestShutdownTimeoutDuringOutage(t *testing.T) {
	fake := cwltest.New(t, cwltest.Options{})
	dir, state := t.TempDir(), t.TempDir()
	path := filepath.Join(dir, "app.log")
	if err := os.WriteFile(path, []byte("n-00000000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := fakeConfig(t, fake, state, filepath.Join(dir, "*.log"), "")
	p := startCorral(t, fakeEnv, "run", "--config", cfg)
	waitUntil(t, 30*time.Second, func() bool { return len(fake.Events("lg-test", "s1")) == 1 },
		func() string { return "the first line did not arrive" })

	fake.SetDown(true)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n < 1000; n++ {
		fmt.Fprintf(f, "n-%08d\n", n)
	}
	f.Close()
	time.Sleep(500 * time.Millisecond) // let corral read them and fail to send

	start := time.Now()
	if code := p.stop(10 * time.Second); code != 0 {
		t.Errorf("exit code = %d, want 0", code)
	}
	if took := time.Since(start); took > 3*time.Second+2*time.Second {
		t.Errorf("shutdown took %v with shutdown_timeout 3s", took)
	}

	fake.SetDown(false)
	p = startCorral(t, fakeEnv, "run", "--config", cfg)
	var seen map[int]int
	waitUntil(t, 30*time.Second, func() bool {
		seen = numbered(fake.Events("lg-test", "s1"))
		return len(seen) == 1000
	}, func() string { return fmt.Sprintf("%d of 1000 lines arrived", len(seen)) })
	p.stop(10 * time.Second)
}

// TestUnreadableFileIsRetried makes a matching file unreadable to corral:
// it logs the reason once, keeps running, and ships the file once it
// becomes readable.
func TestUnreadableFileIsRetried(t *testing.T) {
	fake := cwltest.New(t, cwltest.Options{})
	dir, state := openTempDir(t), openTempDir(t)
	path := filepath.Join(dir, "secret.log")
	if err := os.WriteFile(path, []byte("hidden\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fakeConfig(t, fake, state, filepath.Join(dir, "*.log"), "")
	var p *process
	if os.Geteuid() == 0 {
		// root reads everything: run corral as nobody instead.
		cfgCopy := filepath.Join(state, "corral.yaml")
		data, _ := os.ReadFile(cfg)
		if err := os.WriteFile(cfgCopy, data, 0o644); err != nil {
			t.Fatal(err)
		}
		p = startCorralAs(t, 65534, fakeEnv, "run", "--config", cfgCopy)
	} else {
		os.Chmod(path, 0)
		p = startCorral(t, fakeEnv, "run", "--config", cfg)
	}
	waitUntil(t, 10*time.Second, func() bool { return strings.Contains(p.output(), "cannot read file") },
		func() string { return "no warning about the unreadable file" })
	time.Sleep(1500 * time.Millisecond) // a few scans go by
	if n := strings.Count(p.output(), "cannot read file"); n != 1 {
		t.Errorf("warned %d times about the unreadable file, want once", n)
	}
	if strings.Contains(p.output(), "hidden") {
		t.Errorf("corral's log contains the file's content")
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, func() bool { return len(fake.Events("lg-test", "s1")) == 1 },
		func() string { return "the file was not shipped once readable" })
	if code := p.stop(10 * time.Second); code != 0 {
		t.Errorf("exit code = %d, want 0", code)
	}
}

// openTempDir is a temporary directory that any user may use, removed
// at the end of the test.
func openTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "corral-open-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startCorralAs runs corral as another user (the test runs as root).
func startCorralAs(t *testing.T, uid uint32, env []string, args ...string) *process {
	t.Helper()
	return startCorralCmd(t, env, args, &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}})
}
