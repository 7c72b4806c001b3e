package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/corral-logs/corral/internal/cwltest"
)

// scenario is one measured situation. run prepares its input in the
// harness's work directory, runs corral through the harness and returns
// what it measured, or why it could not run.
type scenario struct {
	name  string
	about string
	run   func(ctx context.Context, h *harness) (result, error)
	// runs is how often `make bench` runs it: the backlogs take seconds
	// and are measured by their CPU alone, so they run several times.
	runs int
}

// scenarios are the scenarios `make bench` runs, in order: issue 8's table.
var scenarios = []scenario{
	{
		name:  "backlog",
		about: fmt.Sprintf("one file of %d lines of ~%d bytes, from its start", backlogLines, lineBytes),
		run:   backlog,
		runs:  backlogRuns,
	},
	{
		name:  "backlog-plain",
		about: "backlog with cloudwatch.compression none, to show what gzip costs",
		run:   backlogPlain,
		runs:  backlogRuns,
	},
	{
		name:  "backlog-random",
		about: "backlog with lines filled with random letters: gzip's worst case",
		run:   backlogRandom,
		runs:  backlogRuns,
	},
	{
		name:  "live",
		about: fmt.Sprintf("a file written at %d lines/s for %v", liveRate, liveFor),
		run:   live,
	},
	{
		name: "rotation",
		about: fmt.Sprintf("a file written at %d lines/s for %v, renamed and recreated every %v",
			rotationRate, rotationFor, rotateEvery),
		run: rotation,
	},
	{
		name: "outage",
		about: fmt.Sprintf("as live, with the endpoint refusing connections from %v to %v",
			outageFrom, outageFrom+outageFor),
		run: outage,
	},
	{
		name: "many-files",
		about: fmt.Sprintf("%d files of %d lines each, max_open_files %d",
			manyFiles, manyFileLines, manyMaxOpen),
		run: manyFilesRun,
	},
	{
		name:  "s3",
		about: fmt.Sprintf("one CloudTrail object of %d MiB of JSON, gzip, via the S3 source and moto", s3Bytes>>20),
		run:   s3Run,
	},
}

// flushInterval is corral's cloudwatch.flush_interval in every scenario:
// its default.
const flushInterval = time.Second

// The scenarios' sizes, from issue 8.
const (
	backlogLines = 1_000_000
	backlogRuns  = 3

	liveRate = 20_000
	liveFor  = 30 * time.Second

	rotationRate = 10_000
	rotationFor  = 30 * time.Second
	rotateEvery  = 5 * time.Second

	// The outage scenario writes as live does, and the endpoint is away
	// for outageFor from outageFrom on.
	outageFrom = 5 * time.Second
	outageFor  = 20 * time.Second

	manyFiles     = 1_000
	manyFileLines = 1_000
	// manyMaxOpen is below the number of files, so that corral must read
	// them in turns within its limit.
	manyMaxOpen = 256
)

// logsDir makes the directory a scenario's files live in.
func (h *harness) logsDir() (string, error) {
	dir := filepath.Join(h.dir, "logs")
	return dir, os.Mkdir(dir, 0o750)
}

// backlog ships one large file that exists before corral starts: the
// catch-up after an outage or on a new host, where reading, encoding and
// sending are the whole cost.
func backlog(ctx context.Context, h *harness) (result, error) {
	return h.backlogRun(ctx, "", fillWords)
}

// backlogPlain is backlog with bodies sent uncompressed.
func backlogPlain(ctx context.Context, h *harness) (result, error) {
	return h.backlogRun(ctx, "none", fillWords)
}

// backlogRandom is backlog with lines gzip cannot shrink much: what
// compression costs at worst.
func backlogRandom(ctx context.Context, h *harness) (result, error) {
	return h.backlogRun(ctx, "", fillRandom)
}

// backlogRun ships one large file, with the given cloudwatch.compression
// and filler.
func (h *harness) backlogRun(ctx context.Context, compression string, fill filler) (result, error) {
	dir, err := h.logsDir()
	if err != nil {
		return result{}, err
	}
	path := filepath.Join(dir, "backlog.log")
	c, err := writeCorpus(path, backlogLines, fill)
	if err != nil {
		return result{}, fmt.Errorf("generate %s: %w", path, err)
	}
	return h.measure(ctx, plan{corpus: c, logs: dir,
		src: source{paths: []string{path}, startAt: "beginning", compression: compression}})
}

// live follows one file that an application writes while corral runs:
// the steady state of most hosts, where CPU and delay matter.
func live(ctx context.Context, h *harness) (result, error) {
	return h.liveRun(ctx, liveRate, liveFor, 0, nil)
}

// rotation follows a file that is renamed and recreated while it is
// written, as logrotate's create mode does.
func rotation(ctx context.Context, h *harness) (result, error) {
	return h.liveRun(ctx, rotationRate, rotationFor, rotateEvery, nil)
}

// outage is live with the endpoint away for a while: corral must hold
// back without losing anything or growing, then catch up.
func outage(ctx context.Context, h *harness) (result, error) {
	away := func(ctx context.Context, fake *cwltest.Server, t *tracker) error {
		if err := sleep(ctx, outageFrom); err != nil {
			return err
		}
		if err := fake.SetRefusing(true); err != nil {
			return err
		}
		if err := sleep(ctx, outageFor); err != nil {
			return err
		}
		t.markRecovered()
		return fake.SetRefusing(false)
	}
	return h.liveRun(ctx, liveRate, liveFor, 0, away)
}

// liveRun writes rate lines a second for d into a file corral follows,
// renaming it every rotate if that is not 0, while fault, if not nil,
// plays with the endpoint.
func (h *harness) liveRun(ctx context.Context, rate int, d, rotate time.Duration,
	fault func(context.Context, *cwltest.Server, *tracker) error,
) (result, error) {
	dir, err := h.logsDir()
	if err != nil {
		return result{}, err
	}
	path := filepath.Join(dir, "app.log")
	if err := os.WriteFile(path, nil, 0o640); err != nil {
		return result{}, err
	}
	c := newCorpus(rate * int(d/time.Second))
	w := &liveWriter{path: path, corpus: c, rate: rate, rotate: rotate}
	drive := func(ctx context.Context, fake *cwltest.Server, t *tracker) error {
		if fault == nil {
			return w.run(ctx)
		}
		faulted := make(chan error, 1)
		go func() { faulted <- fault(ctx, fake, t) }()
		err := w.run(ctx)
		if ferr := <-faulted; err == nil {
			err = ferr
		}
		return err
	}
	return h.measure(ctx, plan{corpus: c, logs: dir, watch: path, drive: drive,
		src: source{paths: []string{path}, startAt: "beginning"}})
}

// manyFilesRun ships many small files that exist before corral starts,
// with fewer descriptors allowed than there are files.
func manyFilesRun(ctx context.Context, h *harness) (result, error) {
	dir, err := h.logsDir()
	if err != nil {
		return result{}, err
	}
	c := newCorpus(manyFiles * manyFileLines)
	g := newGenerator()
	for i := range manyFiles {
		path := filepath.Join(dir, fmt.Sprintf("app-%04d.log", i))
		if err := c.writeFile(path, g, i*manyFileLines, (i+1)*manyFileLines); err != nil {
			return result{}, fmt.Errorf("generate %s: %w", path, err)
		}
	}
	return h.measure(ctx, plan{corpus: c, logs: dir,
		src: source{paths: []string{filepath.Join(dir, "*.log")}, startAt: "beginning", maxOpenFiles: manyMaxOpen}})
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
