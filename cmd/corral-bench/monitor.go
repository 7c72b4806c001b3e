package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// sampleEvery is how often the monitor looks at corral's descriptors.
const sampleEvery = 50 * time.Millisecond

// monitor samples corral's open descriptors from /proc while it runs.
type monitor struct {
	proc  string // /proc/<pid>
	logs  string // the directory of the files corral reads, with a trailing /
	quit  chan struct{}
	ended chan struct{}

	// Read after stop.
	peakFDs   int // descriptors of any kind
	peakFiles int // descriptors of files under logs
}

// startMonitor samples p until stop is called or p exits.
func startMonitor(p *process, logs string) *monitor {
	m := &monitor{
		proc:  "/proc/" + strconv.Itoa(p.cmd.Process.Pid),
		logs:  filepath.Clean(logs) + "/",
		quit:  make(chan struct{}),
		ended: make(chan struct{}),
	}
	go func() {
		defer close(m.ended)
		tick := time.NewTicker(sampleEvery)
		defer tick.Stop()
		for {
			m.sample()
			select {
			case <-m.quit:
				return
			case <-p.done:
				return
			case <-tick.C:
			}
		}
	}()
	return m
}

// sample counts corral's descriptors once.
func (m *monitor) sample() {
	dir := m.proc + "/fd/"
	entries, err := os.ReadDir(dir)
	if err != nil {
		return // exited
	}
	files := 0
	for _, e := range entries {
		if target, err := os.Readlink(dir + e.Name()); err == nil && strings.HasPrefix(target, m.logs) {
			files++
		}
	}
	m.peakFDs = max(m.peakFDs, len(entries))
	m.peakFiles = max(m.peakFiles, files)
}

// stop ends sampling; the peaks may be read afterwards.
func (m *monitor) stop() {
	close(m.quit)
	<-m.ended
}

// waitOpen waits until corral holds path open, for at most 10 seconds.
func waitOpen(ctx context.Context, p *process, path string) error {
	dir := "/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/fd/"
	deadline := time.Now().Add(10 * time.Second)
	for {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if target, _ := os.Readlink(dir + e.Name()); target == path {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("corral did not open %s within 10s", path)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.done:
			return fmt.Errorf("corral exited before opening %s", path)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// cpuWindow measures corral's CPU time over part of its run, from
// /proc/<pid>/stat, in clock ticks of 10 ms.
type cpuWindow struct {
	pid     int
	from    time.Time
	fromCPU time.Duration
	wall    time.Duration // the window's length, once ended
	cpu     time.Duration // corral's user and system time in it
	begun   bool
}

// userHZ is the unit of the times in /proc/<pid>/stat: USER_HZ, 100 on
// every Linux architecture Go supports.
const userHZ = 100

func (w *cpuWindow) begin() {
	w.from, w.fromCPU, w.begun = time.Now(), procCPU(w.pid), true
}

func (w *cpuWindow) end() {
	if w.begun {
		w.wall, w.cpu = time.Since(w.from), procCPU(w.pid)-w.fromCPU
	}
}

// procCPU returns the user and system time of process pid so far.
func procCPU(pid int) time.Duration {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces: count fields
	// after its closing one. utime and stime are fields 14 and 15.
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / userHZ
}
