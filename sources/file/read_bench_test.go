//go:build unix

package file

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/metrics"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/corral-logs/corral/parsers/frame"
	"github.com/corral-logs/corral/pipeline"
	"github.com/corral-logs/corral/pipeline/process"
)

// countSink counts what it is sent and tells when it saw want events.
type countSink struct {
	events atomic.Int64
	want   int64
	all    chan struct{}
}

func (c *countSink) Send(_ context.Context, r *pipeline.Request) error {
	if c.events.Add(int64(r.Events)) == c.want {
		close(c.all)
	}
	return nil
}

// BenchmarkRead measures the read stage: one file of 100,000 lines of
// about 200 bytes, read from its start by a file source (read, frame,
// process without redaction, submit) into a pipeline whose sink only
// counts. An op is the whole file, from a new source to the last event
// acknowledged; ns/line and allocs/line are per line of it.
func BenchmarkRead(b *testing.B) {
	const lines = 100_000
	dir := b.TempDir()
	path := filepath.Join(dir, "app.log")
	var data []byte
	for i := range lines {
		data = fmt.Appendf(data, `{"time":"2026-03-20T12:00:%02d.%03dZ","level":"info","msg":"request served","path":"/api/v1/items/%d","status":200,"seq":%d,"pad":"`,
			i%60, i%1000, i%5000, i)
		for j := len(data) % 200; j < 190; j++ {
			data = append(data, 'a'+byte((i+j)%26))
		}
		data = append(data, "\"}\n"...)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu := cpuTime()
	var allocs uint64
	for b.Loop() {
		allocs += readOnce(b, dir, lines)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*lines), "ns/line")
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N*lines), "cpu-ns/line")
	b.ReportMetric(float64(allocs)/float64(b.N*lines), "allocs/line")
}

// readOnce reads the file in dir with a new source and pipeline, and
// returns the heap allocations made between the source's start and the
// last event.
func readOnce(b *testing.B, dir string, lines int64) uint64 {
	sink := &countSink{want: lines, all: make(chan struct{})}
	pipe := pipeline.New(sink, pipeline.Options{FlushInterval: 10 * time.Millisecond})
	src, err := New(Options{
		Name:     "bench",
		Paths:    []string{filepath.Join(dir, "*.log")},
		StateDir: b.TempDir(),
		Oversize: frame.Split,
		Process: func(string) *process.Processor {
			return process.Fixed("bench", pipeline.Dest{Group: "g", Stream: "s"})
		},
		Pipeline: pipe,
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pipeDone := make(chan error, 1)
	go func() { pipeDone <- pipe.Run(context.Background()) }()
	srcDone := make(chan error, 1)
	before := mallocs()
	go func() { srcDone <- src.Run(ctx) }()
	select {
	case <-sink.all:
	case <-time.After(time.Minute):
		b.Fatalf("%d of %d events within a minute", sink.events.Load(), lines)
	}
	allocs := mallocs() - before
	cancel()
	if err := <-srcDone; err != nil {
		b.Fatal(err)
	}
	pipe.CloseInput()
	if err := <-pipeDone; err != nil {
		b.Fatal(err)
	}
	return allocs
}

// cpuTime returns the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// mallocs returns the heap objects allocated so far.
func mallocs() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:objects"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
