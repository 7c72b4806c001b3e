package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/corral-logs/corral/internal/cwltest"
)

// TestReloadOnHUP reloads the config four times while a file is being
// written: a source is added, a bad config is refused, a source changes
// its stream, and a source is removed. The source that never changed
// delivers every line exactly once, through all of it.
func TestReloadOnHUP(t *testing.T) {
	fake := cwltest.New(t, cwltest.Options{})
	dir, state := t.TempDir(), t.TempDir()
	cfgPath := filepath.Join(t.TempDir(), "corral.yaml")
	source := func(name, stream string) string {
		return fmt.Sprintf("  - name: %s\n    paths: [%q]\n    log_stream: %s\n", name, filepath.Join(dir, name+".log"), stream)
	}
	write := func(sources ...string) {
		t.Helper()
		cfg := fmt.Sprintf(`state_dir: %s
shutdown_timeout: 3s
aws: {region: us-east-1, endpoint_url: %s}
cloudwatch: {log_group: lg, flush_interval: 100ms}
server: {listen: "off"}
sources:
%s`, state, fake.URL(), strings.Join(sources, ""))
		if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	appendLines := func(name, prefix string, n int) {
		t.Helper()
		f, err := os.OpenFile(filepath.Join(dir, name+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			fmt.Fprintf(f, "%s-%d\n", prefix, i)
		}
		f.Close()
	}
	count := func(stream string) int { n, _ := fake.Count("lg", stream); return int(n) }
	logged := func(p *process, msg string, times int) func() bool {
		return func() bool { return strings.Count(p.output(), `"msg":"`+msg+`"`) >= times }
	}
	hup := func(p *process) {
		t.Helper()
		if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}

	w := startWriter(t, filepath.Join(dir, "a.log"), 20, 10*time.Millisecond)
	write(source("a", "a"))
	p := startCorral(t, fakeEnv, "run", "--config", cfgPath)
	waitUntil(t, 10*time.Second, func() bool { return count("a") > 0 }, func() string { return "nothing from a" })

	// 1. Add source b.
	appendLines("b", "b", 100)
	write(source("a", "a"), source("b", "b"))
	hup(p)
	waitUntil(t, 10*time.Second, func() bool { return count("b") == 100 },
		func() string { return fmt.Sprintf("%d of 100 lines of b", count("b")) })

	// 2. A config with a mistake is refused; everything keeps running.
	if err := os.WriteFile(cfgPath, []byte("sources:\n  - paths: [relative/*.log]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	hup(p)
	waitUntil(t, 10*time.Second, logged(p, "config reload refused; the running config stays", 1),
		func() string { return "no refusal logged" })
	if !strings.Contains(p.output(), `sources[0].paths[0]: must be an absolute path`) {
		t.Errorf("the refusal does not give the reason:\n%s", p.output())
	}
	appendLines("b", "b-more", 10)
	waitUntil(t, 10*time.Second, func() bool { return count("b") == 110 },
		func() string { return fmt.Sprintf("%d of 110 lines of b after the refused reload", count("b")) })

	// 3. Source b changes its stream: it goes on from where it was.
	write(source("a", "a"), source("b", "b2"))
	hup(p)
	waitUntil(t, 10*time.Second, logged(p, "config reloaded", 2), func() string { return "second reload not logged" })
	appendLines("b", "b2", 5)
	waitUntil(t, 10*time.Second, func() bool { return count("b2") == 5 },
		func() string { return fmt.Sprintf("%d of 5 lines in b2", count("b2")) })

	// 4. Source b is removed: what is written to it later stays there.
	write(source("a", "a"))
	hup(p)
	waitUntil(t, 10*time.Second, logged(p, "config reloaded", 3), func() string { return "third reload not logged" })
	appendLines("b", "late", 5)

	total := w.finish()
	waitUntil(t, 15*time.Second, func() bool { return count("a") >= total },
		func() string { return fmt.Sprintf("%d of %d lines of a", count("a"), total) })
	if code := p.stop(10 * time.Second); code != 0 {
		t.Fatalf("corral exited %d", code)
	}
	if dups := lostAndDuplicated(t, numbered(fake.Events("lg", "a")), total); dups != 0 {
		t.Errorf("%d lines of the unchanged source a arrived twice, want 0", dups)
	}
	if got := [3]int{count("b"), count("b2"), count("a")}; got != [3]int{110, 5, total} {
		t.Errorf("streams b, b2, a hold %v events, want [110 5 %d]", got, total)
	}
	if v := fake.Violations(); len(v) > 0 {
		t.Errorf("refused requests: %v", v)
	}
}
