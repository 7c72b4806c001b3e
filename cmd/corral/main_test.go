package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/corral-logs/corral/internal/shared"
)

// corralBin is the binary built once for every test of this package.
var corralBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "corral-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Chmod(dir, 0o755) // some tests run it as another user
	corralBin = filepath.Join(dir, "corral")
	build := exec.Command("go", "build", "-o", corralBin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build corral:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// repoRoot is the directory holding go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// sharedDir returns ../shared beside the repository, which holds the
// sample data and failure cases. In CI its absence fails the test.
func sharedDir(t testing.TB) string {
	t.Helper()
	return shared.Dir(t)
}

// process is a running corral.
type process struct {
	t      *testing.T
	cmd    *exec.Cmd
	mu     sync.Mutex
	stderr bytes.Buffer // guarded by mu: everything corral printed
	stdout bytes.Buffer // guarded by mu: only its standard output
	done   chan struct{}
	err    error
}

// safeWriter serializes writes into a process's buffer.
type safeWriter struct{ p *process }

func (w safeWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	return w.p.stderr.Write(b)
}

// stdoutWriter keeps corral's standard output apart too.
type stdoutWriter struct{ p *process }

func (w stdoutWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	w.p.stdout.Write(b)
	return w.p.stderr.Write(b)
}

// startCorral runs corral with args and a clean AWS environment plus env.
func startCorral(t *testing.T, env []string, args ...string) *process {
	t.Helper()
	return startCorralCmd(t, env, args, nil)
}

// startCorralCmd is startCorral with process attributes.
func startCorralCmd(t *testing.T, env, args []string, attr *syscall.SysProcAttr) *process {
	t.Helper()
	p := &process{t: t, done: make(chan struct{})}
	p.cmd = exec.Command(corralBin, args...)
	p.cmd.SysProcAttr = attr
	p.cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=/nonexistent", // no ~/.aws of the machine
		"AWS_EC2_METADATA_DISABLED=true",
	}, env...)
	p.cmd.Stdout = stdoutWriter{p}
	p.cmd.Stderr = safeWriter{p}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("corral output:\n%s", p.output())
		}
	})
	return p
}

func (p *process) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// printed returns what corral wrote to its standard output.
func (p *process) printed() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stdout.String()
}

// stop sends SIGTERM and returns the exit code, failing after limit.
func (p *process) stop(limit time.Duration) int {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatal(err)
	}
	return p.wait(limit)
}

// kill sends SIGKILL and waits for the process to end.
func (p *process) kill() {
	p.t.Helper()
	p.cmd.Process.Kill()
	<-p.done
}

// wait returns the exit code once the process ends, failing after limit.
func (p *process) wait(limit time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(limit):
		p.t.Fatalf("corral did not exit within %v", limit)
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		p.t.Fatal(p.err)
	}
	return 0
}

// waitUntil polls cond until it holds, failing with describe() at the
// deadline.
func waitUntil(t *testing.T, within time.Duration, cond func() bool, describe func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not reached within %v: %s", within, describe())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// writeConfig writes a config file and returns its path.
func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "corral.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestVersion(t *testing.T) {
	out, err := exec.Command(corralBin, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "corral ") {
		t.Errorf("corral version = %q, %v; want a line starting with \"corral \"", out, err)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	cfg := writeConfig(t, `state_dir: /tmp/x
cloudwatch:
  flush_intervall: 1s
sources:
  - type: file
    paths: ["var/log/*.log"]
    start_at: middle
`)
	out, err := exec.Command(corralBin, "validate", "--config", cfg).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitUsage {
		t.Fatalf("validate exit = %v, want status %d", err, exitUsage)
	}
	for _, want := range []string{
		cfg + `:3: cloudwatch: unknown key "flush_intervall"`,
		cfg + `:6: sources[0].paths[0]:`,
		cfg + `:7: sources[0].start_at:`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("validate output lacks %q:\n%s", want, out)
		}
	}

	good := writeConfig(t, "sources:\n  - type: file\n    paths: [\"/var/log/*.log\"]\n")
	if out, err := exec.Command(corralBin, "validate", "--config", good).CombinedOutput(); err != nil {
		t.Errorf("valid config refused: %v\n%s", err, out)
	}
}

func TestRunRefusesBadConfigBeforeDoingAnything(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	cfg := writeConfig(t, fmt.Sprintf("state_dir: %s\nsources: []\nbogus: 1\n", state))
	p := startCorral(t, nil, "run", "--config", cfg)
	if code := p.wait(10 * time.Second); code != exitUsage {
		t.Errorf("exit code = %d, want %d", code, exitUsage)
	}
	if _, err := os.Stat(state); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state dir was touched: %v", err)
	}
}

// sharedCase returns the folder of one shared failure case.
func sharedCase(t testing.TB, id string) string {
	t.Helper()
	dir := filepath.Join(sharedDir(t), "cases", id)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("shared case %s: %v", id, err)
	}
	return dir
}

// stopped is what corral's last log line says it did.
type stopped struct {
	Read      int64 `json:"read"`
	Delivered int64 `json:"delivered"`
	Empty     int64 `json:"empty"`
	Filtered  int64 `json:"filtered"`
	Unparsed  int64 `json:"unparsed"`
	Fallback  int64 `json:"fallback"`
	Split     int64 `json:"split"`
	Truncated int64 `json:"truncated"`
	TooOld    int64 `json:"dropped_too_old"`
	TooNew    int64 `json:"dropped_too_new"`
	Expired   int64 `json:"dropped_expired"`
	Invalid   int64 `json:"dropped_invalid"`
}

// stoppedCounts reads the counts of the "corral stopped" log line and
// checks that every event read was delivered or dropped for a reason.
func stoppedCounts(t *testing.T, output string) stopped {
	t.Helper()
	for _, line := range strings.Split(output, "\n") {
		var entry struct {
			Msg string `json:"msg"`
			stopped
		}
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == "corral stopped" {
			s := entry.stopped
			if s.Read != s.Delivered+s.TooOld+s.TooNew+s.Expired+s.Invalid {
				t.Errorf("read %d events, but delivered %d and dropped %d+%d+%d+%d (too old, too new, expired, invalid)",
					s.Read, s.Delivered, s.TooOld, s.TooNew, s.Expired, s.Invalid)
			}
			return s
		}
	}
	t.Fatalf("no \"corral stopped\" line in corral's log")
	return stopped{}
}
