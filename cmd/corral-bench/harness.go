package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/corral-logs/corral/internal/cwltest"
)

// stopLimit is how long corral may take to exit after SIGTERM before it is
// killed: its default shutdown_timeout (10s) and some margin.
const stopLimit = 30 * time.Second

// harness runs corral for one scenario in a work directory of its own.
type harness struct {
	opts options // the profile paths are this scenario's
	name string
	dir  string // removed by close
}

// newHarness makes a work directory for scenario name. When many scenarios
// run, each profile path gets the scenario's name before its extension.
func newHarness(opts options, name string, many bool) (*harness, error) {
	dir, err := os.MkdirTemp("", "corral-bench-"+name+"-")
	if err != nil {
		return nil, err
	}
	if many {
		opts.cpuProfile = withName(opts.cpuProfile, name)
		opts.memProfile = withName(opts.memProfile, name)
	}
	return &harness{opts: opts, name: name, dir: dir}, nil
}

// withName returns path with "-name" before its extension, or "" for "".
func withName(path, name string) string {
	if path == "" {
		return ""
	}
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "-" + name + ext
}

// close removes the work directory.
func (h *harness) close() { os.RemoveAll(h.dir) }

// source is the file source a scenario configures.
type source struct {
	paths   []string
	startAt string // beginning or end
}

// measure runs corral on src against a fresh fake until every line of c
// arrived or the limit passed, stops it with SIGTERM, and returns what it
// measured. An error means the bench itself could not run; what went wrong
// with corral is in the result.
func (h *harness) measure(ctx context.Context, c *corpus, src source) (result, error) {
	t := newTracker(c)
	fake, err := cwltest.Start(cwltest.Options{Discard: true, OnEvent: t.observe})
	if err != nil {
		return result{}, fmt.Errorf("start the fake: %w", err)
	}
	defer fake.Close()
	cfg, err := h.writeConfig(fake.URL(), src)
	if err != nil {
		return result{}, err
	}

	// Run corral until everything arrived, then stop it.
	selfBefore := selfCPU()
	start := time.Now()
	p, err := h.startCorral(cfg)
	if err != nil {
		return result{}, err
	}
	var problems []string
	select {
	case <-t.done:
	case <-p.done:
		problems = append(problems, "corral exited before delivering everything")
	case <-time.After(h.opts.limit):
		problems = append(problems, fmt.Sprintf("not everything arrived within %v", h.opts.limit))
	case <-ctx.Done():
		p.stop()
		return result{}, ctx.Err()
	}
	if err := p.stop(); err != nil {
		problems = append(problems, err.Error())
	}

	r := h.result(t, fake, p, start)
	r.fakeCPU = selfCPU() - selfBefore
	r.problems = append(problems, r.problems...)
	if r.failed() {
		r.logTail = tail(p.logPath, 20)
	}
	return r, nil
}

// writeConfig writes corral's config for src and the fake at url, and
// returns its path.
func (h *harness) writeConfig(url string, src source) (string, error) {
	quoted := make([]string, len(src.paths))
	for i, p := range src.paths {
		quoted[i] = strconv.Quote(p) // a YAML double-quoted string
	}
	cfg := fmt.Sprintf(`# written by corral-bench for scenario %s
state_dir: %s
aws:
  region: us-east-1
  endpoint_url: %s
cloudwatch:
  flush_interval: 1s
sources:
  - type: file
    paths: [%s]
    start_at: %s
`, h.name, strconv.Quote(filepath.Join(h.dir, "state")), url,
		strings.Join(quoted, ", "), src.startAt)
	path := filepath.Join(h.dir, "corral.yaml")
	return path, os.WriteFile(path, []byte(cfg), 0o600)
}

// process is a running corral.
type process struct {
	cmd      *exec.Cmd
	logPath  string        // corral's stderr
	spawnHWM int64         // the bench's own peak RSS when it started corral, bytes
	hwm      int64         // corral's peak RSS as /proc showed it before SIGTERM, bytes
	done     chan struct{} // closed when corral exited
	err      error         // how it exited; read after done
}

// startCorral starts `corral run` with cfg, with dummy static credentials
// and no access to the host's AWS configuration.
func (h *harness) startCorral(cfg string) (*process, error) {
	args := []string{"run", "--config", cfg}
	if h.opts.cpuProfile != "" {
		args = append(args, "--cpuprofile", h.opts.cpuProfile)
	}
	if h.opts.memProfile != "" {
		args = append(args, "--memprofile", h.opts.memProfile)
	}
	p := &process{cmd: exec.Command(h.opts.corral, args...), done: make(chan struct{})}
	p.logPath = filepath.Join(h.dir, "corral.log")
	log, err := os.Create(p.logPath)
	if err != nil {
		return nil, err
	}
	p.cmd.Stdout, p.cmd.Stderr = log, log
	p.cmd.Env = corralEnv(h.dir)
	p.spawnHWM = peakRSS("self")
	if err := p.cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("start corral: %w", err)
	}
	go func() {
		p.err = p.cmd.Wait()
		log.Close()
		close(p.done)
	}()
	return p, nil
}

// corralEnv is the environment of the bench without its AWS settings and
// HOME, plus dummy keys and home.
func corralEnv(home string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	return append(env, "HOME="+home,
		"AWS_ACCESS_KEY_ID=AKIDCORRALBENCH", "AWS_SECRET_ACCESS_KEY=corral-bench",
		"AWS_EC2_METADATA_DISABLED=true")
}

// stop sends SIGTERM, unless corral already exited, and waits for it; it
// kills corral after stopLimit. It returns why the exit was not clean.
func (p *process) stop() error {
	select {
	case <-p.done:
	default:
		p.hwm = peakRSS(strconv.Itoa(p.cmd.Process.Pid))
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(stopLimit):
			_ = p.cmd.Process.Kill()
			<-p.done
			return fmt.Errorf("corral did not exit within %v of SIGTERM: killed", stopLimit)
		}
	}
	if p.err != nil {
		return fmt.Errorf("corral: %w", p.err)
	}
	return nil
}

// maxRSS returns corral's peak resident set in bytes, from its rusage where
// that can be trusted. Go starts a child with vfork, and Linux carries the
// parent's peak into the child's at exec, so a peak no higher than the
// bench's own when it started corral may be the bench's: then it is the
// peak /proc showed for corral just before SIGTERM, which misses only the
// shutdown.
func (p *process) maxRSS(ru *syscall.Rusage) int64 {
	peak := ru.Maxrss * 1024 // KiB on Linux
	if peak > p.spawnHWM || p.hwm == 0 {
		return peak
	}
	return p.hwm
}

// peakRSS returns the VmHWM of /proc/<pid>/status in bytes, or 0.
func peakRSS(pid string) int64 {
	data, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok { // "VmHWM:   63544 kB"
			kib, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kib * 1024
		}
	}
	return 0
}

// selfCPU returns the user and system time of the bench so far: the fake's
// and the tracker's share of a run.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// tail returns the last n lines of the file at path.
func tail(path string, n int) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		return []string{err.Error()}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	lines := strings.Split(string(bytes.TrimRight(data, "\n")), "\n")
	return lines[max(0, len(lines)-n):]
}
