package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corral-logs/corral/internal/cwltest"
)

// TestTenThousandFiles follows 10,000 files: every line arrives, and the
// descriptors corral holds stay within max_open_files.
func TestTenThousandFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("many files; run without -short")
	}
	const files, maxOpen = 10_000, 1024
	fake := cwltest.New(t, cwltest.Options{})
	dir, state := t.TempDir(), t.TempDir()
	for i := range files {
		name := filepath.Join(dir, fmt.Sprintf("f%05d.log", i))
		if err := os.WriteFile(name, fmt.Appendf(nil, "n-%08d\n", i), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := fakeConfig(t, fake, state, filepath.Join(dir, "*.log"), "")
	p := startCorral(t, fakeEnv, "run", "--config", cfg)

	peakFDs, peakRSS := 0, 0
	sample := func() {
		pid := p.cmd.Process.Pid
		if fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
			peakFDs = max(peakFDs, len(fds))
		}
		peakRSS = max(peakRSS, rssKiB(pid))
	}
	var seen map[int]int
	waitUntil(t, 120*time.Second, func() bool {
		sample()
		seen = numbered(fake.Events("lg-test", "s1"))
		return len(seen) == files
	}, func() string { return fmt.Sprintf("%d of %d files arrived", len(seen), files) })
	// Idle: what following 10,000 quiet files costs, once their checks
	// have backed off.
	time.Sleep(8 * time.Second)
	cpu0 := cpuTicks(p.cmd.Process.Pid)
	for range 20 {
		sample()
		time.Sleep(100 * time.Millisecond)
	}
	idleCPU := float64(cpuTicks(p.cmd.Process.Pid)-cpu0) / 100 / 2 // ticks are 1/100 s, over 2 s
	p.stop(10 * time.Second)

	// Descriptors: the files held, plus the process's own (stdio, sockets,
	// inotify, the state file) and one the scan opens to identify a file.
	if peakFDs > maxOpen+32 {
		t.Errorf("peak descriptors = %d, want at most max_open_files (%d) + 32", peakFDs, maxOpen)
	}
	var cp int64
	if entries, _ := filepath.Glob(filepath.Join(state, "*.json")); len(entries) == 1 {
		st, _ := os.Stat(entries[0])
		cp = st.Size()
	}
	t.Logf("10,000 files: peak descriptors %d, peak RSS %d KiB, checkpoint file %d bytes, idle CPU %.0f%% of a core",
		peakFDs, peakRSS, cp, idleCPU*100)
	for n, c := range seen {
		if c != 1 {
			t.Errorf("line %d arrived %d times, want once", n, c)
		}
	}
}

// cpuTicks returns the user and system time of a process in clock ticks.
func cpuTicks(pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	utime, _ := strconv.Atoi(fields[11])
	stime, _ := strconv.Atoi(fields[12])
	return utime + stime
}

// rssKiB returns a process's resident memory in KiB, or 0.
func rssKiB(pid int) int {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return kb
		}
	}
	return 0
}
