package file

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/corral-logs/corral/internal/shared"
	"github.com/corral-logs/corral/pipeline"
	"github.com/corral-logs/corral/pipeline/process"
)

// The tests below are the cases of area "tailing" (and the framing ones
// of area "parsing") in the shared failure cases, ../shared/cases, each
// named after its case.

func TestB01OverwrittenInPlace(t *testing.T) {
	want := shared.ReadLines(t, shared.Case(t, "B01", "expected.txt"))
	h := newHarness(t, nil)
	h.opts.Paths = []string{h.path("test.log")}
	h.start()
	for i := 1; i <= 50; i++ {
		if i%10 == 0 {
			if err := os.WriteFile(h.path("test.log"), fmt.Appendf(nil, "Overwrite: %d\n", i), 0o644); err != nil {
				t.Fatal(err)
			}
		} else {
			h.write("test.log", fmt.Sprintf("Append: %d\n", i))
		}
		time.Sleep(200 * time.Millisecond)
	}
	h.waitFor("test.log", want, 5*time.Second)
}

// TestB03FastRotationUnderLoad writes and rotates a file faster than any
// scan: the rotated name must match the paths (app.log*) for its lines to
// be read at all, as the README advises.
func TestB03FastRotationUnderLoad(t *testing.T) {
	h := newHarness(t, func(o *Options) {
		o.Process = func(string) *process.Processor {
			return process.Fixed("test", pipeline.Dest{Group: "lg-test", Stream: "s1"})
		}
	})
	h.opts.Paths = []string{h.path("app.log*")}
	h.start()
	var b strings.Builder
	for i := 1; i <= 20000; i++ {
		fmt.Fprintf(&b, "line-%06d\n", i)
	}
	h.write("app.log", b.String())
	if err := os.Rename(h.path("app.log"), h.path("app.log.1")); err != nil {
		t.Fatal(err)
	}
	b.Reset()
	for i := 20001; i <= 40000; i++ {
		fmt.Fprintf(&b, "line-%06d\n", i)
	}
	h.write("app.log", b.String())
	var want []string
	for i := 1; i <= 40000; i++ {
		want = append(want, fmt.Sprintf("line-%06d", i))
	}
	h.waitForSet("s1", want, 30*time.Second)
	h.stop()
	h.cancel = nil

	// The stored position of the current file is its size, and no stored
	// position is past the end of its file.
	cps, err := loadCheckpoints(filepath.Join(h.state, "file-test.json"))
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(h.path("app.log"))
	if e := cps.entries[keyOf(st)]; e == nil || e.Offset != 240000 {
		t.Errorf("checkpoint of app.log = %+v, want offset 240000", e)
	}
	for _, e := range cps.entries {
		if st, err := os.Stat(e.Path); err == nil && keyOf(st) == e.Key && e.Offset > st.Size() {
			t.Errorf("checkpoint of %s at %d is past its size %d", e.Path, e.Offset, st.Size())
		}
	}
}

func TestB07RotationWhileStopped(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.Paths = []string{filepath.Join(filepath.Dir(o.StateDir), "never")} })
	h.opts.Paths = []string{h.path("app.log*")}
	seq := func(from, to int) []string {
		var out []string
		for i := from; i <= to; i++ {
			out = append(out, fmt.Sprintf("L%03d", i))
		}
		return out
	}
	h.write("app.log", join(seq(1, 50)))
	h.start()
	h.waitFor("app.log", seq(1, 50), 5*time.Second)
	h.stop()

	h.write("app.log", join(seq(51, 100)))
	data, _ := os.ReadFile(h.path("app.log"))
	if err := os.WriteFile(h.path("app.log.1"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(h.path("app.log"), 0); err != nil {
		t.Fatal(err)
	}
	h.write("app.log", join(seq(101, 150)))
	h.start()
	// Copied then truncated: app.log.1 is the old app.log, so it goes on
	// from app.log's checkpoint (L051-L100), and app.log holds new content
	// read from its start. L001-L050 are not sent again.
	h.waitFor("app.log.1", seq(51, 100), 5*time.Second)
	h.waitFor("app.log", append(seq(1, 50), seq(101, 150)...), 5*time.Second)
	h.stays("app.log.1", seq(51, 100), 300*time.Millisecond)
}

func TestB08TruncatedWhileStopped(t *testing.T) {
	dir := shared.Case(t, "B08")
	h := newHarness(t, nil)
	old, _ := os.ReadFile(filepath.Join(dir, "old.txt"))
	h.write("app.log", string(old))
	h.start()
	oldLines := shared.ReadLines(t, filepath.Join(dir, "old.txt"))
	h.waitFor("app.log", oldLines, 5*time.Second)
	h.stop()
	newData, _ := os.ReadFile(filepath.Join(dir, "new.txt"))
	if err := os.WriteFile(h.path("app.log"), newData, 0o644); err != nil {
		t.Fatal(err)
	}
	h.start()
	newLines := shared.ReadLines(t, filepath.Join(dir, "new.txt"))
	h.waitFor("app.log", append(oldLines, newLines...), 5*time.Second)
}

func TestB11IdleFileKeepsItsPosition(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	h := newHarness(t, func(o *Options) { o.Now = func() time.Time { return clock() } })
	h.write("app.log", "a-1\na-2\na-3\n")
	h.start()
	h.waitFor("app.log", []string{"a-1", "a-2", "a-3"}, 5*time.Second)
	h.stop()
	// Far longer than any idle or forget window later, the file still
	// exists: its position is kept.
	later := now.Add(48 * time.Hour)
	clock = func() time.Time { return later }
	h.start()
	h.write("app.log", "a-4\n")
	h.waitFor("app.log", []string{"a-1", "a-2", "a-3", "a-4"}, 5*time.Second)
}

func TestB13CorruptCheckpoint(t *testing.T) {
	nul := shared.ReadFile(t, shared.Case(t, "B13", "nul-116.bin"))
	for _, variant := range []string{"nul", "half"} {
		t.Run(variant, func(t *testing.T) {
			h := newHarness(t, nil)
			h.write("app.log", "d-1\nd-2\n")
			h.start()
			h.waitFor("app.log", []string{"d-1", "d-2"}, 5*time.Second)
			h.stop()
			path := filepath.Join(h.state, "file-test.json")
			good, _ := os.ReadFile(path)
			bad := nul
			if variant == "half" {
				bad = good[:len(good)/2]
			}
			if err := os.WriteFile(path, bad, 0o600); err != nil {
				t.Fatal(err)
			}
			h.start()
			h.write("app.log", "d-3\n")
			h.waitFor("app.log", []string{"d-1", "d-2", "d-1", "d-2", "d-3"}, 5*time.Second)
			h.stop()
			if _, err := loadCheckpoints(path); err != nil {
				t.Errorf("checkpoint not rewritten valid: %v", err)
			}
		})
	}
}

func TestB14DeletedFileIsClosed(t *testing.T) {
	h := newHarness(t, nil)
	h.write("app-20260301.log", join(lines("x-", 1, 1000)))
	h.start()
	h.waitFor("app-20260301.log", lines("x-", 1, 1000), 5*time.Second)
	if err := os.Remove(h.path("app-20260301.log")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for openUnder(t, h.dir) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("a descriptor on the deleted file is still open after 5 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// openUnder counts this process's descriptors on files under dir.
func openUnder(t *testing.T, dir string) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	n := 0
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasPrefix(target, dir+"/") {
			n++
		}
	}
	return n
}

func TestB16SymlinkSwitch(t *testing.T) {
	h := newHarness(t, nil)
	for _, d := range []string{"rel/v1", "rel/v2"} {
		if err := os.MkdirAll(h.path(d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	h.write("rel/v1/app.log", "")
	h.write("rel/v2/app.log", "")
	if err := os.Symlink(h.path("rel/v1"), h.path("current")); err != nil {
		t.Fatal(err)
	}
	h.opts.Paths = []string{h.path("current/app.log")}
	h.start()
	h.write("rel/v1/app.log", "v1-line-1\n")
	h.waitFor("app.log", []string{"v1-line-1"}, 5*time.Second)
	if err := os.Symlink(h.path("rel/v2"), h.path("current.tmp")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(h.path("current.tmp"), h.path("current")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	h.write("rel/v2/app.log", "v2-line-1\n")
	h.waitFor("app.log", []string{"v1-line-1", "v2-line-1"}, 5*time.Second)
	h.write("rel/v2/app.log", "v2-line-2\n")
	h.waitFor("app.log", []string{"v1-line-1", "v2-line-1", "v2-line-2"}, 5*time.Second)
}

func TestB18CRLF(t *testing.T) {
	h := newHarness(t, nil)
	h.write("win.log", "alpha\r\nbeta\r\n\r\ngam\rma\r\n")
	h.start()
	h.waitFor("win.log", []string{"alpha", "beta", "gam\rma"}, 5*time.Second)
	h.write("win.log", "delta\r")
	time.Sleep(500 * time.Millisecond)
	h.write("win.log", "\n")
	h.waitFor("win.log", []string{"alpha", "beta", "gam\rma", "delta"}, 5*time.Second)
}

func TestB21EmptyLines(t *testing.T) {
	data := shared.ReadFile(t, shared.Case(t, "B21", "empty.bin"))
	h := newHarness(t, nil)
	h.write("e.log", string(data))
	h.start()
	h.waitFor("e.log", []string{"first", "   ", "second"}, 5*time.Second)
}

// TestReadsInTurnsBeyondMaxOpenFiles follows more files than it may hold
// open (case B15's shape, with the descriptor cap standing in for the
// inotify limit): every line arrives, in order per file, and the source
// never holds more descriptors than allowed.
func TestReadsInTurnsBeyondMaxOpenFiles(t *testing.T) {
	const files, limit = 100, 8
	h := newHarness(t, func(o *Options) { o.MaxOpenFiles = limit })
	for i := 1; i <= files; i++ {
		h.write(fmt.Sprintf("f%03d.log", i), fmt.Sprintf("file-%03d first\n", i))
	}
	h.start()
	stopWatch := make(chan struct{})
	peak := make(chan int)
	go func() {
		max := 0
		for {
			select {
			case <-stopWatch:
				peak <- max
				return
			default:
			}
			max = maxInt(max, openUnder(t, h.dir))
			time.Sleep(time.Millisecond)
		}
	}()
	for i := 1; i <= files; i++ {
		h.waitFor(fmt.Sprintf("f%03d.log", i), []string{fmt.Sprintf("file-%03d first", i)}, 10*time.Second)
	}
	for i := 1; i <= files; i++ {
		h.write(fmt.Sprintf("f%03d.log", i), fmt.Sprintf("file-%03d second\n", i))
	}
	for i := 1; i <= files; i++ {
		h.waitFor(fmt.Sprintf("f%03d.log", i),
			[]string{fmt.Sprintf("file-%03d first", i), fmt.Sprintf("file-%03d second", i)}, 10*time.Second)
	}
	close(stopWatch)
	// The scan's brief open of a new file to identify it counts too.
	if p := <-peak; p > limit {
		t.Errorf("peak open descriptors = %d, want at most %d", p, limit)
	}
	if got := len(h.sink.all()); got != 2*files {
		t.Errorf("events = %d, want %d", got, 2*files)
	}
	if diff := cmp.Diff(2*files, len(h.sink.all())); diff != "" {
		t.Error(diff)
	}
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

func TestInodeReuseIsANewFile(t *testing.T) {
	h := newHarness(t, nil)
	h.write("app.log", "old-1\nold-2\nold-3\n")
	h.start()
	h.waitFor("app.log", []string{"old-1", "old-2", "old-3"}, 5*time.Second)
	h.stop()
	// Same inode (truncate and rewrite in place) with different content
	// at least as long: the fingerprint tells it is not the saved file.
	if err := os.WriteFile(h.path("app.log"), []byte("new-1\nnew-2\nnew-3\nnew-4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h.start()
	h.waitFor("app.log", []string{"old-1", "old-2", "old-3", "new-1", "new-2", "new-3", "new-4"}, 5*time.Second)
}

// TestB15WatchLimit: past the inotify watch limit, files are polled; every
// line arrives, and the limit is reported once, not as a disk problem.
func TestB15WatchLimit(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	h := newHarness(t, func(o *Options) {
		o.MaxWatches = 1
		o.Log = zap.New(core)
	})
	for i := 1; i <= 100; i++ {
		if err := os.MkdirAll(h.path(fmt.Sprintf("d%03d", i)), 0o755); err != nil {
			t.Fatal(err)
		}
		h.write(fmt.Sprintf("d%03d/f%03d.log", i, i), fmt.Sprintf("file-%03d first\n", i))
	}
	h.opts.Paths = []string{h.path("*/*.log")}
	h.start()
	for i := 1; i <= 100; i++ {
		h.waitFor(fmt.Sprintf("f%03d.log", i), []string{fmt.Sprintf("file-%03d first", i)}, 10*time.Second)
	}
	for i := 1; i <= 100; i++ {
		h.write(fmt.Sprintf("d%03d/f%03d.log", i, i), fmt.Sprintf("file-%03d second\n", i))
	}
	for i := 1; i <= 100; i++ {
		h.waitFor(fmt.Sprintf("f%03d.log", i),
			[]string{fmt.Sprintf("file-%03d first", i), fmt.Sprintf("file-%03d second", i)}, 20*time.Second)
	}
	warnings := logs.FilterMessageSnippet("inotify watch limit").Len()
	if warnings != 1 {
		t.Errorf("%d warnings about the watch limit, want 1", warnings)
	}
	if n := logs.FilterMessageSnippet("space").Len(); n != 0 {
		t.Errorf("a warning talks of space: %v", logs.All())
	}
}

// TestOverwrittenWithLongerContent rewrites a file in place with more
// than it held, faster than corral looks: the new content is read whole
// from its start, not from the old offset.
func TestOverwrittenWithLongerContent(t *testing.T) {
	h := newHarness(t, nil)
	h.write("o.log", "old-1\nold-2\n")
	h.start()
	h.waitFor("o.log", []string{"old-1", "old-2"}, 5*time.Second)
	var b strings.Builder
	var want []string
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(&b, "NEW-%02d\n", i)
		want = append(want, fmt.Sprintf("NEW-%02d", i))
	}
	if err := os.WriteFile(h.path("o.log"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	h.waitFor("o.log", append([]string{"old-1", "old-2"}, want...), 5*time.Second)
}

// TestCompressedFilesAreSkipped: a rotated file compressed by logrotate
// matches the glob but is not shipped as binary garbage.
func TestCompressedFilesAreSkipped(t *testing.T) {
	h := newHarness(t, nil)
	h.opts.Paths = []string{h.path("app.log*")}
	h.write("app.log.2.gz", "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03binary\n")
	h.write("app.log.3.zst", "\x28\xb5\x2f\xfd\x00binary\n")
	h.write("app.log", "plain\n")
	h.start()
	h.waitFor("app.log", []string{"plain"}, 5*time.Second)
	time.Sleep(300 * time.Millisecond)
	if diff := cmp.Diff([]string{"plain"}, h.sink.all()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// TestCompressedFilesNamedAreRead: a path that names compressed files
// gets them read once, decompressed, and not again after a restart.
func TestCompressedFilesNamedAreRead(t *testing.T) {
	h := newHarness(t, nil)
	h.opts.Paths = []string{h.path("app.log.*.gz"), h.path("app.log.*.zst")}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("gz-1\ngz-2\n"))
	zw.Close()
	h.write("app.log.1.gz", gz.String())
	enc, _ := zstd.NewWriter(nil)
	h.write("app.log.2.zst", string(enc.EncodeAll([]byte("zst-1\nzst-2\n"), nil)))
	enc.Close()
	h.start()
	h.waitFor("app.log.1.gz", []string{"gz-1", "gz-2"}, 5*time.Second)
	h.waitFor("app.log.2.zst", []string{"zst-1", "zst-2"}, 5*time.Second)
	h.stop()
	h.start()
	h.stays("app.log.1.gz", []string{"gz-1", "gz-2"}, 500*time.Millisecond)
	h.stays("app.log.2.zst", []string{"zst-1", "zst-2"}, 0)
}
