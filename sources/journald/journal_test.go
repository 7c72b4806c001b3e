package journald

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// The tests read real journal files, which systemd-journal-remote writes
// from entries in the journal export format, with the machine's
// journalctl.

// tools are the binaries the tests need, found once.
var tools struct {
	once       sync.Once
	journalctl string
	remote     string
	problem    string
}

// needTools returns the paths of journalctl and systemd-journal-remote.
// Where they are missing or do not work, it skips the test, or fails it in
// CI (CI=true).
func needTools(t *testing.T) (journalctl, remote string) {
	t.Helper()
	tools.once.Do(findTools)
	if tools.problem != "" {
		msg := tools.problem + "; install them with `apt-get install -y systemd-journal-remote`"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return tools.journalctl, tools.remote
}

func findTools() {
	jc, err := exec.LookPath("journalctl")
	if err != nil {
		tools.problem = "journalctl not found in PATH"
		return
	}
	remote, err := exec.LookPath("systemd-journal-remote")
	if err != nil {
		for _, dir := range []string{"/lib/systemd", "/usr/lib/systemd"} {
			p := filepath.Join(dir, "systemd-journal-remote")
			if st, err := os.Stat(p); err == nil && st.Mode()&0o111 != 0 {
				remote = p
				break
			}
		}
	}
	if remote == "" {
		tools.problem = "systemd-journal-remote not found in PATH, /lib/systemd or /usr/lib/systemd"
		return
	}
	// Probe: write one entry and read it back.
	dir, err := os.MkdirTemp("", "corral-journal-probe-")
	if err != nil {
		tools.problem = err.Error()
		return
	}
	defer os.RemoveAll(dir)
	probe := exportOf(nil, []field{
		{"__REALTIME_TIMESTAMP", fmt.Sprint(time.Now().UnixMicro())},
		{"__MONOTONIC_TIMESTAMP", "1"},
		{"_BOOT_ID", "4c9e0f35a1b24e6f9d0c8b7a6e5d4c3b"},
		{"MESSAGE", "probe"},
	})
	if err := runRemote(remote, filepath.Join(dir, "probe.journal"), probe, 1); err != nil {
		tools.problem = "systemd-journal-remote does not work: " + err.Error()
		return
	}
	out, err := exec.Command(jc, "--directory="+dir, "--output=cat", "--no-pager").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "probe" {
		tools.problem = fmt.Sprintf("journalctl cannot read what systemd-journal-remote wrote: %v: %s", err, out)
		return
	}
	tools.journalctl, tools.remote = jc, remote
}

// field is one journal field; a value that is not printable UTF-8 is
// written in the export format's binary form.
type field struct {
	Name, Value string
}

// journal is a journal directory written by systemd-journal-remote.
type journal struct {
	t      *testing.T
	dir    string
	remote string
	boot   string    // _BOOT_ID of the entries: the directory's latest boot
	base   time.Time // __REALTIME_TIMESTAMP of entry 0
}

func newJournal(t *testing.T) *journal {
	t.Helper()
	_, remote := needTools(t)
	return &journal{
		t:      t,
		dir:    t.TempDir(),
		remote: remote,
		boot:   "4c9e0f35a1b24e6f9d0c8b7a6e5d4c3b",
		base:   time.Now().Add(-time.Hour).Truncate(time.Second),
	}
}

// at is the time of entry i: i milliseconds and 123 µs after base, so
// that the µs are cut off on the way to CloudWatch's milliseconds.
func (j *journal) at(i int) time.Time {
	return j.base.Add(time.Duration(i)*time.Millisecond + 123*time.Microsecond)
}

// ms is the CloudWatch timestamp of entry i.
func (j *journal) ms(i int) int64 { return j.at(i).UnixMilli() }

// entry returns entry i of the latest boot with the given fields.
func (j *journal) entry(i int, fields ...field) []field {
	return j.bootEntry(j.boot, i, fields...)
}

// bootEntry returns entry i of boot with the given fields.
func (j *journal) bootEntry(boot string, i int, fields ...field) []field {
	t := j.at(i)
	head := []field{
		{"__REALTIME_TIMESTAMP", fmt.Sprint(t.UnixMicro())},
		{"__MONOTONIC_TIMESTAMP", fmt.Sprint(t.Sub(j.base).Microseconds() + 1_000_000)},
		{"_BOOT_ID", boot},
	}
	return append(head, fields...)
}

// write adds entries to the journal file name in the directory, which
// systemd-journal-remote creates or appends to.
func (j *journal) write(name string, entries ...[]field) {
	j.t.Helper()
	var export []byte
	for _, e := range entries {
		export = exportOf(export, e)
	}
	if err := runRemote(j.remote, filepath.Join(j.dir, name), export, len(entries)); err != nil {
		j.t.Fatal(err)
	}
}

// runRemote writes export, n entries in the journal export format, to the
// journal file at path. systemd-journal-remote skips an entry it finds
// invalid (one without timestamps, say) and still exits 0, so the count
// it reports is checked.
func runRemote(remote, path string, export []byte, n int) error {
	cmd := exec.Command(remote, "--output="+path, "-")
	cmd.Stdin = bytes.NewReader(export)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("systemd-journal-remote: %w: %s", err, out)
	}
	if want := fmt.Sprintf("writing %d entries", n); !bytes.Contains(out, []byte(want)) {
		return fmt.Errorf("systemd-journal-remote wrote other than %d entries: %s", n, out)
	}
	return nil
}

// exportOf appends one entry in the journal export format to dst: a field
// of printable UTF-8 as NAME=value and a newline; any other as NAME, a
// newline, its length as 64-bit little endian, the bytes and a newline;
// and an empty line after the entry.
func exportOf(dst []byte, fields []field) []byte {
	for _, f := range fields {
		if printable(f.Value) {
			dst = fmt.Appendf(dst, "%s=%s\n", f.Name, f.Value)
			continue
		}
		dst = append(dst, f.Name...)
		dst = append(dst, '\n')
		dst = binary.LittleEndian.AppendUint64(dst, uint64(len(f.Value)))
		dst = append(dst, f.Value...)
		dst = append(dst, '\n')
	}
	return append(dst, '\n')
}

// printable reports whether the export format may carry s as text: valid
// UTF-8 of code points from ' ' up, and tabs.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < ' ' && r != '\t' {
			return false
		}
	}
	return true
}
