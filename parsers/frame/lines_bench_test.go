//go:build unix

package frame

import (
	"fmt"
	"syscall"
	"testing"
	"time"
)

// benchInput returns n lines of about 200 bytes, syslog, nginx and JSON in
// turn, as one input.
func benchInput(n int) []byte {
	var b []byte
	for i := range n {
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
		for j := 0; j < 200-160+i%41; j++ {
			b = append(b, 'a'+byte((i*7+j*13)%26))
		}
		b = append(b, '\n')
	}
	return b
}

// BenchmarkLinesFeed frames ~200-byte UTF-8 lines fed in 64 KiB reads, as
// the file tailer does. An op is 10,000 lines; ns/line is the cost of one.
func BenchmarkLinesFeed(b *testing.B) {
	const lines = 10_000
	input := benchInput(lines)
	emit := func([]byte, int64) {}
	skip := func(int64) {}
	l := NewLines(0, 1<<20, Split)
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		for p := input; len(p) > 0; {
			n := min(len(p), 64<<10)
			l.Feed(p[:n], emit, skip)
			p = p[n:]
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*lines), "ns/line")
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N*lines), "cpu-ns/line")
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
