//go:build unix

package pipeline

import (
	"context"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// benchMessages returns n messages of about 200 bytes.
func benchMessages(n int) [][]byte {
	msgs := make([][]byte, n)
	for i := range msgs {
		m := fmt.Appendf(nil, `10.1.%d.%d - - [20/Mar/2026:12:00:%02d +0000] "GET /api/v1/items/%d HTTP/1.1" 200 %d "-" "curl/8.5.0" seq=%010d pad=`,
			i%256, i%253, i%60, i, i%50000, i)
		for len(m) < 180+i%41 {
			m = append(m, 'a'+byte(i*7+len(m))%26)
		}
		msgs[i] = m
	}
	return msgs
}

// benchBlockEvents is what one read of the file tailer makes a block of:
// a 64 KiB read of ~200-byte lines.
const benchBlockEvents = 300

// BenchmarkCut measures the batcher alone: queuing blocks of ~200-byte
// events on a stream and cutting them into full requests, then
// acknowledging those. An op is one full request (4,600 events).
func BenchmarkCut(b *testing.B) {
	const perRequest = 4600 // 4,600 x (~200 + 26) bytes: about one full request
	msgs := benchMessages(perRequest)
	dest := Dest{Group: "g", Stream: "s"}
	var blocks []*Block
	for i := 0; i < len(msgs); i += benchBlockEvents {
		blk := new(Block)
		blk.Dest = dest
		for _, m := range msgs[i:min(i+benchBlockEvents, len(msgs))] {
			blk.Append(1774008000000, m)
		}
		blocks = append(blocks, blk)
	}
	s := &stream{dest: dest}
	now := time.Now()
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		for _, blk := range blocks {
			// The batcher's reference, and one the benchmark keeps so that
			// acknowledging does not recycle the block.
			blk.pending.Store(2)
			s.push(blk, now)
		}
		for s.events > 0 {
			r := s.cut()
			r.done()
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*perRequest), "ns/event")
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N*perRequest), "cpu-ns/event")
}

// discardSink accepts every request at once.
type discardSink struct{ events atomic.Int64 }

func (s *discardSink) Send(_ context.Context, r *Request) error {
	s.events.Add(int64(r.Events))
	return nil
}

// BenchmarkPipeline measures what an event costs between a source and the
// sink, without encoding or network: copying it into a block, the budget,
// the batcher, a sender goroutine and the acknowledgement that lets the
// source commit. An op is one block of 300 ~200-byte events.
func BenchmarkPipeline(b *testing.B) {
	msgs := benchMessages(benchBlockEvents)
	sink := &discardSink{}
	p := New(sink, Options{})
	tr := NewTracker(Position{})
	ctx := context.Background()
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	dest := Dest{Group: "g", Stream: "s"}

	b.ReportAllocs()
	offset := int64(0)
	cpu := cpuTime()
	for b.Loop() {
		blk := NewBlock(dest, "bench")
		for _, m := range msgs {
			blk.Append(1774008000000, m)
		}
		offset += int64(len(msgs))
		tr.Track(blk, Position{Offset: offset})
		if err := p.Submit(ctx, blk); err != nil {
			b.Fatal(err)
		}
	}
	p.CloseInput()
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	cpu = cpuTime() - cpu // every goroutine's, to the last acknowledgement
	if got := sink.events.Load(); got != offset {
		b.Fatalf("sink took %d events, want %d", got, offset)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(offset), "ns/event")
	b.ReportMetric(float64(cpu)/float64(offset), "cpu-ns/event")
}

// cpuTime returns the process's user and system time so far: unlike the
// wall clock, it does not count the time other programs hold the CPUs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
