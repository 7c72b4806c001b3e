package main

import (
	"context"
	"fmt"
	"os"
	"time"
)

// writeTick is how often a live writer appends what its rate owes: one
// write call per tick, as a busy application's buffered logger does.
const writeTick = 10 * time.Millisecond

// liveWriter appends lines of a corpus to a file at a steady rate while
// corral runs, each stamped with the time it was written.
type liveWriter struct {
	path   string
	corpus *corpus
	rate   int           // lines per second
	rotate time.Duration // rename the file and start a new one this often; 0 never
}

// run writes every line of the corpus, at the rate, then returns. It
// returns early, with an error, when ctx ends or a write fails.
func (w *liveWriter) run(ctx context.Context) error {
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return err
	}
	defer func() { f.Close() }()

	g := newGenerator()
	total := len(w.corpus.hashes)
	tick := time.NewTicker(writeTick)
	defer tick.Stop()
	start := time.Now()
	nextRotation, rotations := start.Add(w.rotate), 0
	var buf []byte
	for seq := 0; seq < total; {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		now := time.Now()
		if w.rotate > 0 && !now.Before(nextRotation) {
			rotations++
			if f, err = w.rotateFile(f, rotations); err != nil {
				return err
			}
			nextRotation = nextRotation.Add(w.rotate)
		}

		// What the rate owes by now, stamped now.
		owed := min(int(float64(w.rate)*now.Sub(start).Seconds()), total)
		buf = buf[:0]
		for ; seq < owed; seq++ {
			n := len(buf)
			buf = g.line(buf, seq, now.UnixNano())
			w.corpus.add(seq, buf[n:])
			buf = append(buf, '\n')
		}
		if len(buf) > 0 {
			if _, err := f.Write(buf); err != nil {
				return err
			}
		}
	}
	return nil
}

// rotateFile renames the current file to path.N and opens a new one at
// path, as logrotate's create mode does.
func (w *liveWriter) rotateFile(f *os.File, n int) (*os.File, error) {
	if err := f.Close(); err != nil {
		return nil, err
	}
	if err := os.Rename(w.path, fmt.Sprintf("%s.%d", w.path, n)); err != nil {
		return nil, err
	}
	return os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_EXCL, 0o640)
}
