package multiline_test

import (
	"fmt"

	"github.com/corral-logs/corral/parsers/frame"
	"github.com/corral-logs/corral/parsers/multiline"
)

// A file source frames lines with empty lines kept, groups them, and
// flushes the open event once the multiline timeout passes without a new
// line. Input the framer drops (the rest of a truncated line) goes through
// Skip, so offsets stay in order.
func Example() {
	rule, err := multiline.Preset("java")
	if err != nil {
		panic(err)
	}
	rule.MaxLines, rule.MaxBytes = 500, 1_048_550

	lines := frame.NewLines(0, rule.MaxBytes, frame.Split)
	lines.KeepEmpty(true)
	g := multiline.New(rule)

	now := int64(1_774_000_000_000) // the read time, from the source's clock
	event := func(msg []byte, ts, end int64) {
		fmt.Printf("event at %d, up to offset %d:\n%s\n", ts, end, msg)
	}
	skip := func(end int64) { fmt.Printf("skipped up to offset %d\n", end) }
	line := func(msg []byte, end int64) { g.Add(msg, now, end, event, skip) }
	dropped := func(end int64) { g.Skip(end, skip) }

	lines.Feed([]byte("\n2026-03-20 10:00:01.000 ERROR boom\n"+
		"java.lang.IllegalStateException: bad state\n"+
		"\tat com.example.Svc.run(Svc.java:42)\n"), line, dropped)
	fmt.Println("open:", g.Open())

	// The multiline timeout passed without a new line.
	g.Flush(event)
	// Output:
	// skipped up to offset 1
	// open: true
	// event at 1774000000000, up to offset 116:
	// 2026-03-20 10:00:01.000 ERROR boom
	// java.lang.IllegalStateException: bad state
	// 	at com.example.Svc.run(Svc.java:42)
}
