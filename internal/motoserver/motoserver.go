// Package motoserver runs moto in server mode on loopback, for tests and the
// demo, and gives SDK clients that talk to it as a chosen AWS account.
package motoserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrNotInstalled is returned by Start when no moto_server binary is found.
var ErrNotInstalled = errors.New("motoserver: moto_server not installed")

const (
	// startTimeout bounds how long Start waits for moto to answer.
	startTimeout = 30 * time.Second

	// pollInterval is how often Start asks whether moto answers yet.
	pollInterval = 50 * time.Millisecond

	// accountHeader makes moto serve a request as the named account; it
	// wins over the account of the signing access key.
	accountHeader = "x-moto-account-id"

	// region is the region of every client this package makes.
	region = "us-east-1"
)

// Server is a running moto_server on 127.0.0.1.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:PORT, without a
	// trailing slash.
	URL string

	cmd    *exec.Cmd
	output *tailBuffer
	exited chan struct{} // closed when the process has exited
	client *http.Client  // for the moto API and every SDK client made here

	closeOnce sync.Once
	closeErr  error
}

// Start finds moto_server, on the PATH or at <repo root>/.venv/bin, starts it
// on a free port of 127.0.0.1 without MOTO_ACCOUNT_ID in its environment, and
// returns once GET /moto-api/ answers. ctx bounds only the start-up, which
// also gives up after 30 seconds; the server runs until Close. Start returns
// ErrNotInstalled when there is no binary.
func Start(ctx context.Context) (*Server, error) {
	bin, err := findBinary()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()

	// A free port can be taken by someone else between our probe and
	// moto's bind; moto then exits at once and we try another port.
	const attempts = 3
	for i := 1; ; i++ {
		s, err := start(ctx, bin)
		if err == nil || i == attempts || ctx.Err() != nil || !errors.Is(err, errExited) {
			return s, err
		}
	}
}

// errExited marks a moto process that ended before it answered.
var errExited = errors.New("moto_server exited")

// start runs one moto_server process and waits until it answers.
func start(ctx context.Context, bin string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{
		URL:    "http://127.0.0.1:" + strconv.Itoa(port),
		output: &tailBuffer{max: 8 << 10},
		exited: make(chan struct{}),
		client: &http.Client{Transport: &http.Transport{
			Proxy:               nil, // loopback only, whatever HTTP_PROXY says
			MaxIdleConnsPerHost: 16,
			IdleConnTimeout:     30 * time.Second,
		}},
	}

	// Start moto in its own process group, so Close also ends the Python
	// children of wrapper scripts such as a pyenv shim.
	s.cmd = exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	s.cmd.Env = environWithout("MOTO_ACCOUNT_ID")
	s.cmd.Stdout = s.output
	s.cmd.Stderr = s.output
	setProcessGroup(s.cmd)
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() {
		_ = s.cmd.Wait()
		close(s.exited)
	}()

	if err := s.waitReady(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// waitReady polls GET /moto-api/ until it answers, the process exits or ctx
// ends.
func (s *Server) waitReady(ctx context.Context) error {
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/moto-api/", nil)
		if err != nil {
			return fmt.Errorf("probe moto: %w", err)
		}
		if resp, err := s.client.Do(req); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("%w before answering: %s", errExited, s.output.String())
		case <-ctx.Done():
			return fmt.Errorf("wait for moto at %s: %w; output: %s", s.URL, ctx.Err(), s.output.String())
		case <-tick.C:
		}
	}
}

// Close kills the server's process group and waits for the process to end.
// It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		if err := killProcessGroup(s.cmd); err != nil {
			select {
			case <-s.exited: // already gone: nothing to kill
			default:
				s.closeErr = fmt.Errorf("kill moto_server: %w", err)
				return
			}
		}
		<-s.exited
		s.client.CloseIdleConnections()
	})
	return s.closeErr
}

// Reset clears every account's state in the server.
func (s *Server) Reset() error {
	resp, err := s.client.Post(s.URL+"/moto-api/reset", "application/json", nil)
	if err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reset moto: status %s", resp.Status)
	}
	return nil
}

// findBinary looks for moto_server on the PATH, then in the repository's
// virtualenv.
func findBinary() (string, error) {
	if p, err := exec.LookPath("moto_server"); err == nil {
		return p, nil
	}
	root, err := repoRoot()
	if err != nil {
		return "", ErrNotInstalled
	}
	p := filepath.Join(root, ".venv", "bin", "moto_server")
	if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
		return p, nil
	}
	return "", ErrNotInstalled
}

// repoRoot walks up from the working directory to the one holding go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repo root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find repo root: no go.mod above the working directory")
		}
		dir = parent
	}
}

// freePort asks the kernel for a port on 127.0.0.1 that is free right now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// environWithout returns the process environment minus the named variable.
func environWithout(name string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, name+"=") {
			env = append(env, kv)
		}
	}
	return env
}

// tailBuffer keeps the last max bytes written to it, for error messages.
type tailBuffer struct {
	max int

	mu  sync.Mutex // guards buf
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.TrimSpace(string(b.buf))
}
