package systemd

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// maxExposure is the highest overall exposure `systemd-analyze security`
// may give the unit. systemd 252 rated it 1.3 ("OK") when this was
// written; the margin absorbs small changes in how later versions weigh
// settings, while a lost hardening line still fails.
const maxExposure = 1.6

// The execPath the unit runs, rewritten in a temporary copy so that
// verify finds a binary there.
const execPath = "/usr/local/bin/corral"

// systemdAnalyze returns the path of systemd-analyze. Without it the test
// is skipped on a workstation and fails in CI (CI=true), where a missing
// tool would otherwise pass the check silently.
func systemdAnalyze(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("systemd-analyze not found in CI: %v", err)
		}
		t.Skip("systemd-analyze not found")
	}
	return path
}

// stagedUnit builds corral into a temporary directory and writes a copy of
// corral.service there whose ExecStart runs that binary. It returns the
// copy's path.
func stagedUnit(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "corral")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/corral")
	build.Dir = filepath.Join("..", "..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build corral: %v\n%s", err, out)
	}
	unit, err := os.ReadFile("corral.service")
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(unit, []byte("ExecStart="+execPath+" ")); n != 1 {
		t.Fatalf("corral.service has %d ExecStart lines running %s, want 1", n, execPath)
	}
	unit = bytes.ReplaceAll(unit, []byte("ExecStart="+execPath+" "), []byte("ExecStart="+bin+" "))
	path := filepath.Join(dir, "corral.service")
	if err := os.WriteFile(path, unit, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSystemdAnalyze checks the unit with systemd-analyze, with the binary
// it starts in place: verify must have nothing to say, and security must
// rate it at most maxExposure.
func TestSystemdAnalyze(t *testing.T) {
	analyze := systemdAnalyze(t)
	unit := stagedUnit(t)
	t.Run("verify", func(t *testing.T) { verify(t, analyze, unit) })
	t.Run("security", func(t *testing.T) { security(t, analyze, unit) })
}

// verify runs `systemd-analyze verify` and fails on any complaint: verify
// warns about unknown keys and bad values on stderr and may still exit 0.
func verify(t *testing.T, analyze, unit string) {
	out, err := exec.Command(analyze, "verify", unit).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// exposureLine matches the summary line of `systemd-analyze security`:
// "→ Overall exposure level for corral.service: 1.3 OK 🙂".
var exposureLine = regexp.MustCompile(`Overall exposure level for \S+: ([0-9]+\.[0-9]+)`)

// security rates the unit with `systemd-analyze security --offline=true`
// (systemd 250 or later), logs the score and fails when it is above
// maxExposure.
func security(t *testing.T, analyze, unit string) {
	if v := systemdVersion(t, analyze); v < 250 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("systemd %d cannot rate a unit file offline (needs 250)", v)
		}
		t.Skipf("systemd %d cannot rate a unit file offline (needs 250)", v)
	}
	cmd := exec.Command(analyze, "security", "--offline=true", "--no-pager", unit)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	m := exposureLine.FindSubmatch(out)
	if m == nil {
		t.Fatalf("no overall exposure in the output:\n%s", out)
	}
	score, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("systemd-analyze security: overall exposure %.1f (%.1f allowed)", score, maxExposure)
	if score > maxExposure {
		t.Errorf("exposure %.1f > %.1f: the unit lost hardening\n%s", score, maxExposure, out)
	}
}

// systemdVersion returns the major version `systemd-analyze --version`
// prints first ("systemd 252 (252.39-1~deb12u2)").
func systemdVersion(t *testing.T, analyze string) int {
	t.Helper()
	out, err := exec.Command(analyze, "--version").Output()
	if err != nil {
		t.Fatalf("systemd-analyze --version: %v", err)
	}
	fields := strings.Fields(string(out))
	if len(fields) < 2 || fields[0] != "systemd" {
		t.Fatalf("unexpected version output: %q", out)
	}
	v, err := strconv.Atoi(fields[1])
	if err != nil {
		t.Fatalf("unexpected version output: %q", out)
	}
	return v
}
