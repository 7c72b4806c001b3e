package main

import (
	"io"
	"runtime"
	"sync"

	"github.com/klauspost/compress/gzip"
)

// speedBytes is how much text machineSpeed compresses: enough for a
// tenth of a second or so, so that it costs the bench nothing.
const speedBytes = 8 << 20

// machineSpeed returns how fast this machine runs gzip level 1
// (klauspost's, as corral's bodies use) over the bench's own lines on
// every CPU at once, as corral and the fake keep them busy together, in
// MB of input per CPU-second. A virtual machine's speed drifts, by a
// third within an hour here, mostly when all its CPUs are busy, and every
// CPU figure of the table drifts with it; printed before and after the
// scenarios, this says whether two runs may be compared.
func machineSpeed() float64 {
	g := newGenerator()
	var text []byte
	for seq := 0; len(text) < speedBytes; seq++ {
		text = append(g.line(text, seq, 0), '\n')
	}
	const rounds = 3
	workers := runtime.NumCPU()
	start := selfCPU()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed) // a valid level
			for range rounds {
				zw.Reset(io.Discard)
				_, _ = zw.Write(text) // io.Discard never fails
				_ = zw.Close()
			}
		})
	}
	wg.Wait()
	cpu := selfCPU() - start
	if cpu <= 0 {
		return 0
	}
	return float64(workers*rounds*len(text)) / 1e6 / cpu.Seconds()
}
