package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// scenario is one measured situation. run prepares its input in the
// harness's work directory, runs corral through the harness and returns
// what it measured.
type scenario struct {
	name  string
	about string
	run   func(ctx context.Context, h *harness) (result, error)
}

// scenarios are the scenarios `make bench` runs, in order.
var scenarios = []scenario{
	{
		name:  "backlog",
		about: fmt.Sprintf("one file of %d lines of ~%d bytes, from its start", backlogLines, lineBytes),
		run:   backlog,
	},
}

// backlogLines is the size of the backlog scenario's file.
const backlogLines = 1_000_000

// backlog ships one large file that exists before corral starts: the
// catch-up after an outage or on a new host, where reading, encoding and
// sending are the whole cost.
func backlog(ctx context.Context, h *harness) (result, error) {
	dir := filepath.Join(h.dir, "logs")
	if err := os.Mkdir(dir, 0o750); err != nil {
		return result{}, err
	}
	path := filepath.Join(dir, "backlog.log")
	c, err := writeCorpus(path, backlogLines)
	if err != nil {
		return result{}, fmt.Errorf("generate %s: %w", path, err)
	}
	return h.measure(ctx, c, source{paths: []string{path}, startAt: "beginning"})
}
