package main

import (
	"strings"
	"testing"
	"time"
)

func TestMedianRun(t *testing.T) {
	run := func(cpu time.Duration, rss int64) result {
		return result{scenario: "backlog", events: 1_000_000, cpu: cpu, maxRSS: rss << 20}
	}
	r := median([]result{run(2*time.Second, 50), run(time.Second, 52), run(1500*time.Millisecond, 54)})
	if r.cpu != 1500*time.Millisecond || len(r.others) != 2 {
		t.Fatalf("median run: cpu %v with %d others, want 1.5s with 2", r.cpu, len(r.others))
	}
	var b strings.Builder
	printRuns(&b, r)
	want := "backlog: 3 runs, the median shown; events/CPU-s 500000, 666667, 1000000; peak RSS 50.0 to 54.0 MiB\n"
	if b.String() != want {
		t.Errorf("printRuns:\n got %q\nwant %q", b.String(), want)
	}
}
