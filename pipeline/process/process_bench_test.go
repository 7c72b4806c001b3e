//go:build unix

package process

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/corral-logs/corral/parsers/redact"
	"github.com/corral-logs/corral/pipeline"
)

// benchLines returns n lines of about 200 bytes, syslog, nginx and JSON in
// turn, none holding a secret.
func benchLines(n int) [][]byte {
	lines := make([][]byte, n)
	for i := range lines {
		var b []byte
		switch i % 3 {
		case 0:
			b = fmt.Appendf(b, "Mar 20 12:00:%02d web-0%d sshd[%d]: session opened for user deploy from 10.0.%d.%d port %d",
				i%60, i%5, 1000+i%60000, i%256, i%251, 1024+i%60000)
		case 1:
			b = fmt.Appendf(b, `10.1.%d.%d - - [20/Mar/2026:12:00:%02d +0000] "GET /api/v1/items/%d HTTP/1.1" 200 %d "-" "curl/8.5.0"`,
				i%256, i%253, i%60, i, i%50000)
		default:
			b = fmt.Appendf(b, `{"time":"2026-03-20T12:00:%02d.%06dZ","level":"info","msg":"request served","status":200}`,
				i%60, i%1000000)
		}
		b = fmt.Appendf(b, " seq=%010d pad=", i)
		for len(b) < 180+i%41 {
			b = append(b, 'a'+byte(i*7+len(b))%26)
		}
		lines[i] = b
	}
	return lines
}

// BenchmarkLineRaw measures what processing costs a raw line (no parser,
// format raw, a fixed destination): the include/exclude check, redaction
// with the built-in rules, and adding the line to a block. An op is 300
// lines, one read's worth; its blocks are recycled after each op, as the
// pipeline does once they are delivered.
func BenchmarkLineRaw(b *testing.B) {
	red, err := redact.New(nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	lines := benchLines(300)
	dest := pipeline.Dest{Group: "/corral/host", Stream: "app.log"}
	for _, c := range []struct {
		name   string
		redact Redactor
	}{{"redact", red}, {"no-redact", nil}} {
		b.Run(c.name, func(b *testing.B) {
			opts := &Options{Source: "bench", Stats: new(Stats), Redact: c.redact}
			p := New(opts, Input{Group: Template{{Text: dest.Group}}, Stream: Template{{Text: dest.Stream}}})
			var g pipeline.Group
			recycler := pipeline.New(nil, pipeline.Options{})
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				for _, line := range lines {
					p.Line(line, 1774008000000, &g)
				}
				recycle(b, recycler, &g)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(lines)), "ns/line")
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N*len(lines)), "cpu-ns/line")
		})
	}
}

// recycle hands g's blocks back to the pipeline's pool: emptied, each is
// acknowledged at once by Submit, which recycles it as delivery would.
func recycle(b *testing.B, p *pipeline.Pipeline, g *pipeline.Group) {
	for _, blk := range g.Blocks() {
		blk.Entries = blk.Entries[:0]
		if err := p.Submit(context.Background(), blk); err != nil {
			b.Fatal(err)
		}
	}
	g.Reset()
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
