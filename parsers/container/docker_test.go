package container

import (
	"testing"
)

// dl returns a Docker json-file line; log is JSON string content, escapes
// included.
func dl(log, stream, time string) string {
	return `{"log":"` + log + `","stream":"` + stream + `","time":"` + time + `"}`
}

var dockerTests = []runTest{
	{name: "whole lines",
		lines: []string{dl(`hello world\n`, "stdout", t1), dl(`oops \"quoted\"\t\u00e9\n`, "stderr", t2),
			dl(`\n`, "stdout", t3)},
		want: []event{{P, ms(t1), "hello world", out, false},
			{P, ms(t2), "oops \"quoted\"\té", errs, false},
			{P, ms(t3), "", out, false}}},
	{name: "only the last newline is the line's",
		lines: []string{dl(`a\n\n`, "stdout", t1), dl(`crlf\r\n`, "stdout", t1)},
		want:  []event{{P, ms(t1), "a\n", out, false}, {P, ms(t1), "crlf\r", out, false}}},
	{name: "extra members kept in order, from the first piece",
		lines: []string{`{"log":"a","attrs":{"tag":"web"},"stream":"stdout","time":"` + t1 + `"}`,
			`{"log":"b\n","attrs":{"tag":"other"},"stream":"stdout","time":"` + t2 + `"}`,
			` { "time" : "` + t3 + `" , "stream":"stderr", "x": 1, "log":"c\n"} `},
		want: []event{{X, 0, "", nil, true},
			{P, ms(t1), "ab", pairs{{"attrs", `{"tag":"web"}`}, {"stream", "stdout"}}, false},
			{P, ms(t3), "c", pairs{{"stream", "stderr"}, {"x", "1"}}, false}}},
	{name: "partials joined, first time kept",
		lines: []string{dl(`part one, `, "stdout", t1), dl(`part two, `, "stdout", t2),
			dl(`end\n`, "stdout", t3)},
		want: []event{{X, 0, "", nil, true}, {X, 0, "", nil, true},
			{P, ms(t1), "part one, part two, end", out, false}}},
	{name: "streams joined apart",
		lines: []string{dl(`o1 `, "stdout", t1), dl(`e1 `, "stderr", t2), dl(`o2\n`, "stdout", t2),
			dl(`e2\n`, "stderr", t3)},
		want: []event{{X, 0, "", nil, true}, {X, 0, "", nil, true},
			{P, ms(t1), "o1 o2", out, true}, {P, ms(t2), "e1 e2", errs, false}}},
	{name: "empty log is a piece",
		lines: []string{dl(``, "stdout", t1), dl(`\n`, "stdout", t2)},
		want:  []event{{X, 0, "", nil, true}, {P, ms(t1), "", out, false}}},
	{name: "held piece flushed at end",
		lines:   []string{dl(`done\n`, "stdout", t1), dl(`no end`, "stderr", t2)},
		want:    []event{{P, ms(t1), "done", out, false}, {X, 0, "", nil, true}},
		flushed: []event{{P, ms(t2), "no end", errs, false}}},
	{name: "bad lines keep what is held",
		lines: []string{dl(`a`, "stdout", t1), `plain text`, `{"log":"x\n","stream":"stdout"}`,
			`{"log":"x\n","time":"` + t1 + `"}`, `{"stream":"stdout","time":"` + t1 + `"}`,
			dl(`x\n`, "stdin", t1), dl(`x\n`, "stdout", "yesterday"),
			`{"log":1,"stream":"stdout","time":"` + t1 + `"}`, dl(`x\n`, "stdout", t1) + `,`,
			`{"log":"x\n","stream":"stdout","time":"` + t1, dl(`b\n`, "stdout", t2)},
		want: []event{{X, 0, "", nil, true}, {F, 0, "", nil, true}, {F, 0, "", nil, true},
			{F, 0, "", nil, true}, {F, 0, "", nil, true}, {F, 0, "", nil, true}, {F, 0, "", nil, true},
			{F, 0, "", nil, true}, {F, 0, "", nil, true}, {F, 0, "", nil, true},
			{P, ms(t1), "ab", out, false}}},
	{name: "cap emits what was gathered",
		max: 10,
		lines: []string{dl(`1234`, "stdout", t1), dl(`5678`, "stdout", t2), dl(`9abc`, "stdout", t3),
			dl(`de`, "stdout", t2), dl(`f\n`, "stdout", t3)},
		want: []event{{X, 0, "", nil, true}, {X, 0, "", nil, true},
			{P, ms(t1), "123456789abc", out, false},
			{X, 0, "", nil, true}, {P, ms(t2), "def", out, false}}},
}

func TestDocker(t *testing.T) {
	for _, tt := range dockerTests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewDocker()
			p.MaxBytes = tt.max
			checkRun(t, p, tt.lines, tt.want, tt.flushed)
		})
	}
}

// benchDocker is a typical json-file line of about 200 bytes.
const benchDocker = `{"log":"2026-01-01T00:00:01.010Z INFO request done method=GET ` +
	`path=/api/v1/orders/42 status=200 duration_ms=12.5 user=1001 \"cached\"\n",` +
	`"stream":"stdout","time":"2024-01-02T03:04:05.123456789Z"}`

func BenchmarkDocker(b *testing.B) { benchParse(b, NewDocker(), benchDocker) }

func TestDockerAllocatesNothing(t *testing.T) {
	checkNoAllocs(t, NewDocker(), benchDocker, dl(`a`, "stderr", t1), dl(`b\n`, "stderr", t2))
}
