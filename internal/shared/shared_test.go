package shared

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/klauspost/compress/gzip"
)

func TestFindsSharedData(t *testing.T) {
	dir := Dir(t)
	if filepath.Base(dir) != "shared" {
		t.Errorf("Dir = %s, want a folder named shared", dir)
	}
	if got, want := Testdata(t, "hostlogs", "auth.log"), filepath.Join(dir, "testdata", "hostlogs", "auth.log"); got != want {
		t.Errorf("Testdata = %s, want %s", got, want)
	}
	if got, want := Case(t, "B01"), filepath.Join(dir, "cases", "B01"); got != want {
		t.Errorf("Case = %s, want %s", got, want)
	}
	expected := Expected[struct {
		Events int `json:"events"`
	}](t)
	lines := ReadLines(t, Testdata(t, "hostlogs", "auth.log"))
	if e, ok := expected["hostlogs/auth.log"]; !ok || e.Events != len(lines) {
		t.Errorf("expected.json: hostlogs/auth.log: %+v, %v; want %d events", e, ok, len(lines))
	}
}

// recorder is a testing.TB that records a skip or failure instead of
// ending the test.
type recorder struct {
	testing.TB
	skipped, failed bool
}

func (r *recorder) Helper()             {}
func (r *recorder) Skip(...any)         { r.skipped = true }
func (r *recorder) Fatal(...any)        { r.failed = true }
func (r *recorder) Name() string        { return "recorder" }
func (r *recorder) Logf(string, ...any) {}

func TestMissingSkipsOrFailsInCI(t *testing.T) {
	for _, tt := range []struct {
		ci                  string
		wantSkip, wantFatal bool
	}{
		{"", true, false},
		{"false", true, false},
		{"true", false, true},
	} {
		t.Setenv("CI", tt.ci)
		r := &recorder{TB: t}
		Case(r, "no-such-case")
		if r.skipped != tt.wantSkip || r.failed != tt.wantFatal {
			t.Errorf("CI=%q: skipped %v, failed %v; want %v, %v",
				tt.ci, r.skipped, r.failed, tt.wantSkip, tt.wantFatal)
		}
	}
}

func TestReadLinesAndGunzip(t *testing.T) {
	dir := t.TempDir()
	text := "a\r\n\nb\n"
	plain := filepath.Join(dir, "x.log")
	if err := os.WriteFile(plain, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, want := ReadLines(t, plain), []string{"a\r", "", "b"}; !slices.Equal(got, want) {
		t.Errorf("ReadLines = %q, want %q", got, want)
	}

	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(text)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	gz := filepath.Join(dir, "x.log.gz")
	if err := os.WriteFile(gz, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := Gunzip(t, gz); string(got) != text {
		t.Errorf("Gunzip = %q, want %q", got, text)
	}
}
