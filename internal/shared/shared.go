// Package shared finds, for tests, the sample data and failure cases that
// are checked out beside the repository, in a folder named shared: its
// testdata holds sample logs and expected.json, its cases one folder per
// failure case. Only tests import it.
//
// Every function that returns a path checks that it exists. When it does
// not, the test is skipped, as a checkout without the shared folder is
// normal, except in CI (the environment variable CI is "true"), where the
// test fails.
package shared

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// Dir returns the shared folder, beside the repository root. The root is
// the nearest folder holding go.mod above the working directory, which go
// test sets to the package's folder, so Dir works at any package depth.
func Dir(t testing.TB) string {
	t.Helper()
	return find(t)
}

// Testdata returns the path of elem below the shared folder's testdata,
// or testdata itself without elem.
func Testdata(t testing.TB, elem ...string) string {
	t.Helper()
	return find(t, append([]string{"testdata"}, elem...)...)
}

// Case returns the folder of the failure case id ("B01"), or the path of
// elem in it.
func Case(t testing.TB, id string, elem ...string) string {
	t.Helper()
	return find(t, append([]string{"cases", id}, elem...)...)
}

// Expected returns testdata/expected.json, each entry (keyed by the
// path below testdata, as "hostlogs/auth.log") decoded into a T. Entries
// differ by kind of file, so T names only the fields a test reads.
func Expected[T any](t testing.TB) map[string]T {
	t.Helper()
	var all map[string]T
	if err := json.Unmarshal(ReadFile(t, Testdata(t, "expected.json")), &all); err != nil {
		t.Fatalf("read expected.json: %v", err)
	}
	return all
}

// ReadFile returns the content of the file at path, failing the test when
// it cannot be read.
func ReadFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Gunzip returns the decompressed content of the gzip file at path, as
// the sample CloudTrail and VPC flow log objects are, failing the test
// when it cannot be read.
func Gunzip(t testing.TB, path string) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(ReadFile(t, path)))
	if err != nil {
		t.Fatalf("gunzip %s: %v", path, err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip %s: %v", path, err)
	}
	return data
}

// ReadLines returns the lines of the file at path without their "\n"
// (a "\r" before it stays), failing the test when it cannot be read.
func ReadLines(t testing.TB, path string) []string {
	t.Helper()
	return strings.Split(strings.TrimSuffix(string(ReadFile(t, path)), "\n"), "\n")
}

// find returns elem joined below the shared folder, skipping or failing t
// when it is not there.
func find(t testing.TB, elem ...string) string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		missing(t, err)
	}
	p := filepath.Join(append([]string{filepath.Dir(root), "shared"}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		missing(t, fmt.Errorf("shared data %s not found beside the repository: %w", p, err))
	}
	return p
}

// missing skips t, or fails it in CI.
func missing(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(err)
	} else {
		t.Skip(err)
	}
}

// repoRoot returns the folder holding go.mod, found by walking up from
// the working directory at the first call.
var repoRoot = sync.OnceValues(func() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find the repository: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find the repository: no go.mod above the working directory")
		}
		dir = parent
	}
})
