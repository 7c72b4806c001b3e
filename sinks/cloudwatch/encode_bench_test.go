//go:build unix

package cloudwatch

import (
	"context"
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/corral-logs/corral/internal/cwltest"
	"github.com/corral-logs/corral/pipeline"
)

// benchEventsPerRequest is what a full request of ~200-byte lines holds:
// 1,048,576 / (200 + 26).
const benchEventsPerRequest = 4600

// benchLines returns n lines of about 200 bytes: syslog, nginx and JSON in
// turn, with varying fields and a tail of random letters, as corral-bench
// writes them.
func benchLines(n int) [][]byte {
	rng := rand.New(rand.NewPCG(11, 12))
	lines := make([][]byte, n)
	for i := range lines {
		var b []byte
		switch i % 3 {
		case 0:
			b = fmt.Appendf(b, "Mar 20 12:00:%02d web-0%d sshd[%d]: session opened for user deploy from 10.%d.%d.%d port %d",
				i%60, i%5, 1000+rng.IntN(60000), rng.IntN(256), rng.IntN(256), rng.IntN(256), 1024+rng.IntN(60000))
		case 1:
			b = fmt.Appendf(b, `10.%d.%d.%d - - [20/Mar/2026:12:00:%02d +0000] "GET /api/v1/items/%d HTTP/1.1" %d %d "-" "curl/8.5.0"`,
				rng.IntN(256), rng.IntN(256), rng.IntN(256), i%60, rng.IntN(100000), 200+rng.IntN(4)*100, rng.IntN(50000))
		default:
			b = fmt.Appendf(b, `{"time":"2026-03-20T12:00:%02d.%06dZ","level":"info","msg":"request served","path":"/api/v1/users","status":%d}`,
				i%60, rng.IntN(1000000), 200+rng.IntN(4)*100)
		}
		b = fmt.Appendf(b, " seq=%010d pad=", i)
		for len(b) < 180+rng.IntN(41) {
			b = append(b, 'a'+byte(rng.IntN(26)))
		}
		lines[i] = b
	}
	return lines
}

// benchRequest returns one full request of benchLines.
func benchRequest() *pipeline.Request {
	b := pipeline.NewBlock(dest, "bench")
	ts := time.Now().UnixMilli()
	for _, line := range benchLines(benchEventsPerRequest) {
		b.Append(ts, line)
	}
	return &pipeline.Request{Dest: dest, Parts: []pipeline.Part{{Block: b, From: 0, To: b.Len()}}, Events: b.Len()}
}

// BenchmarkEncode measures turning a full request of ~200-byte lines into
// the body that goes on the wire: collecting and sorting the events,
// encoding the JSON, and compressing it.
func BenchmarkEncode(b *testing.B) {
	r := benchRequest()
	for _, c := range []Compression{CompressionNone, CompressionGzip} {
		b.Run(string(c), func(b *testing.B) {
			s := &Sink{opts: Options{Compression: c}}
			var sc scratch
			sc.events = collect(sc.events[:0], r)
			plain := len(appendPutLogEvents(nil, dest, sc.events))
			b.SetBytes(int64(plain))
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				sc.events = collect(sc.events[:0], r)
				s.encode(&sc, dest, sc.events)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(sc.events)), "ns/event")
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N*len(sc.events)), "cpu-ns/event")
			b.ReportMetric(float64(len(sc.wire.b))/float64(len(sc.events)), "wire-B/event")
		})
	}
}

// BenchmarkSend measures Send of a full request to a fake that discards
// what it takes: encoding, signing and the HTTP exchange, with the fake's
// share of the CPU included in the time.
func BenchmarkSend(b *testing.B) {
	r := benchRequest()
	for _, c := range []Compression{CompressionNone, CompressionGzip} {
		b.Run(string(c), func(b *testing.B) {
			fake := cwltest.New(b, cwltest.Options{Discard: true})
			s, err := New(context.Background(), Options{
				AWS: aws.Config{Region: "us-east-1",
					Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")},
				Endpoint:    fake.URL(),
				Compression: c,
			})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			if err := s.Send(ctx, r); err != nil { // creates the group and stream
				b.Fatal(err)
			}
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				if err := s.Send(ctx, r); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*r.Events), "ns/event")
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N*r.Events), "cpu-ns/event")
		})
	}
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
