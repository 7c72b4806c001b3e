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

// source is the source a scenario configures: files, or an S3 bucket.
type source struct {
	s3Bucket     string // an s3 source of CloudTrail files listing this bucket, if set
	paths        []string
	startAt      string // beginning or end
	maxOpenFiles int    // 0: corral's default
	compression  string // cloudwatch.compression; "": corral's default (gzip)
}

// plan is what one measured run does.
type plan struct {
	corpus *corpus // every line the run writes, written or not yet
	src    source
	logs   string // the directory of the files read, to count descriptors into it
	// drive, when set, runs once corral has opened the file watch, and
	// returns when the corpus is written. It may take the fake away; the
	// harness has it back up afterwards.
	drive func(ctx context.Context, fake *cwltest.Server, t *tracker) error
	watch string
	// others is a base URL (moto's) that the fake passes requests of
	// other services than CloudWatch Logs on to, such as S3's.
	others string
}

// measure runs corral on the plan's source against a fresh fake until
// every line of the corpus arrived or the limit passed, stops it with
// SIGTERM, and returns what it measured. An error means the bench itself
// could not run; what went wrong with corral is in the result.
func (h *harness) measure(ctx context.Context, pl plan) (result, error) {
	t := newTracker(pl.corpus)
	fake, err := cwltest.Start(cwltest.Options{Discard: true, OnEvent: t.observe, OtherServices: pl.others})
	if err != nil {
		return result{}, fmt.Errorf("start the fake: %w", err)
	}
	defer fake.Close()
	cfg, err := h.writeConfig(fake.URL(), pl.src)
	if err != nil {
		return result{}, err
	}

	// Run corral, and the drive if any, until everything arrived.
	selfBefore := selfCPU()
	start := time.Now()
	p, err := h.startCorral(cfg)
	if err != nil {
		return result{}, err
	}
	mon := startMonitor(p, pl.logs)
	win := cpuWindow{pid: p.cmd.Process.Pid}
	driven := make(chan error, 1)
	if pl.drive == nil {
		win.begin()
	} else {
		go func() {
			if err := waitOpen(ctx, p, pl.watch); err != nil {
				driven <- err
				return
			}
			win.begin()
			driven <- pl.drive(ctx, fake, t)
		}()
	}
	problems, err := h.await(ctx, t, p, driven)
	if err != nil {
		p.stop()
		return result{}, err
	}
	win.end()
	_ = fake.SetRefusing(false) // a drive that failed may have left it away
	fake.SetDown(false)
	if err := p.stop(); err != nil {
		problems = append(problems, err.Error())
	}
	mon.stop()

	r := h.result(t, fake, p, start)
	r.fakeCPU = selfCPU() - selfBefore
	r.window, r.windowCPU = win.wall, win.cpu
	r.peakFDs, r.peakFiles, r.maxOpen = mon.peakFDs, mon.peakFiles, pl.src.maxOpenFiles
	r.problems = append(problems, r.problems...)
	if r.failed() {
		r.logTail = tail(p.logPath, 20)
	}
	return r, nil
}

// await waits until every line arrived, corral exited, the drive failed or
// the limit passed, and returns what went wrong. An error means the bench
// was interrupted.
func (h *harness) await(ctx context.Context, t *tracker, p *process, driven chan error) ([]string, error) {
	limit := time.NewTimer(h.opts.limit)
	defer limit.Stop()
	for {
		select {
		case <-t.done:
			return nil, nil
		case err := <-driven:
			if err != nil {
				return []string{"writing the input: " + err.Error()}, nil
			}
			driven = nil // written: wait for the rest
		case <-p.done:
			return []string{"corral exited before delivering everything"}, nil
		case <-limit.C:
			return []string{fmt.Sprintf("not everything arrived within %v", h.opts.limit)}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// writeConfig writes corral's config for src and the fake at url, and
// returns its path.
func (h *harness) writeConfig(url string, src source) (string, error) {
	cw := ""
	if src.compression != "" {
		cw = fmt.Sprintf("  compression: %s\n", src.compression)
	}
	cfg := fmt.Sprintf(`# written by corral-bench for scenario %s
state_dir: %s
aws:
  region: us-east-1
  endpoint_url: %s
cloudwatch:
  flush_interval: %s
%ssources:
%s`, h.name, strconv.Quote(filepath.Join(h.dir, "state")), url, flushInterval, cw, src.yaml())
	path := filepath.Join(h.dir, "corral.yaml")
	return path, os.WriteFile(path, []byte(cfg), 0o600)
}

// yaml returns src as an item of corral's sources list.
func (src source) yaml() string {
	if src.s3Bucket != "" {
		return fmt.Sprintf(`  - type: s3
    parser: cloudtrail
    poll:
      bucket: %s
      interval: 1s
`, src.s3Bucket)
	}
	quoted := make([]string, len(src.paths))
	for i, p := range src.paths {
		quoted[i] = strconv.Quote(p) // a YAML double-quoted string
	}
	y := fmt.Sprintf(`  - type: file
    paths: [%s]
    start_at: %s
`, strings.Join(quoted, ", "), src.startAt)
	if src.maxOpenFiles > 0 {
		y += fmt.Sprintf("    max_open_files: %d\n", src.maxOpenFiles)
	}
	return y
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
		"AWS_ACCESS_KEY_ID="+benchKeyID, "AWS_SECRET_ACCESS_KEY="+benchSecret,
		"AWS_EC2_METADATA_DISABLED=true")
}

// The dummy credentials corral runs with.
const (
	benchKeyID  = "AKIDCORRALBENCH"
	benchSecret = "corral-bench"
)

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
