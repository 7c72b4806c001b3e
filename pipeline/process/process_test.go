package process

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/corral-logs/corral/parsers/frame"
	"github.com/corral-logs/corral/parsers/record"
	"github.com/corral-logs/corral/parsers/timestamp"
	"github.com/corral-logs/corral/pipeline"
)

// kvParser reads "k=v k2=v2" lines; a line without '=' fails, and a line
// ending in '\' is the first part of the next one.
type kvParser struct{ held []byte }

func (p *kvParser) Parse(line []byte, r *record.Record) record.Result {
	r.Reset()
	if bytes.HasSuffix(line, []byte(`\`)) {
		p.held = append(p.held, line[:len(line)-1]...)
		return record.Partial
	}
	reassembled := len(p.held) > 0
	if reassembled {
		line = append(p.held, line...)
		p.held = p.held[:0]
	}
	if !bytes.Contains(line, []byte("=")) {
		return record.Failed
	}
	for rest := line; len(rest) > 0; {
		f, tail, _ := bytes.Cut(rest, []byte(" "))
		k, v, _ := bytes.Cut(f, []byte("="))
		r.Add(k, v, record.String)
		rest = tail
	}
	if v, _, ok := r.Get("msg"); ok {
		r.Message = v
		r.Unwrap = reassembled
	}
	return record.Parsed
}

func (p *kvParser) Holding() bool { return len(p.held) > 0 }

func (p *kvParser) Flush(r *record.Record) bool {
	if len(p.held) == 0 {
		return false
	}
	r.Reset()
	r.Message = append([]byte(nil), p.held...)
	r.Unwrap = true
	p.held = p.held[:0]
	return true
}

// secrets redacts "hunter2".
type secrets struct{}

func (secrets) Redact(dst, msg []byte) ([]byte, bool) {
	if !bytes.Contains(msg, []byte("hunter2")) {
		return msg, false
	}
	return append(dst[:0], bytes.ReplaceAll(msg, []byte("hunter2"), []byte("[REDACTED:test]"))...), true
}

// event is one event a group received, for comparisons.
type event struct {
	Group, Stream string
	Time          int64
	Msg           string
}

func events(g *pipeline.Group) []event {
	var out []event
	for _, b := range g.Blocks() {
		for i := range b.Len() {
			out = append(out, event{b.Dest.Group, b.Dest.Stream, b.Entries[i].Time, string(b.Message(i))})
		}
	}
	return out
}

func static(s string) Template { return Template{{Text: s}} }

func input() Input {
	return Input{Group: static("/g"), Stream: static("s"), FallbackGroup: "/fb", FallbackStream: "fb"}
}

func kv() record.Parser { return &kvParser{} }

func TestLine(t *testing.T) {
	rfc, _ := timestamp.Parse(timestamp.RFC3339, nil, nil)
	tests := []struct {
		name  string
		opts  Options
		in    Input
		lines []string
		want  []event
		stats [4]int64 // parse failed, filtered, fallback, empty
	}{
		{"raw, no parser", Options{}, input(), []string{"a b", "c"},
			[]event{{"/g", "s", 7, "a b"}, {"/g", "s", 7, "c"}}, [4]int64{}},
		{"include and exclude", Options{
			Include: []*regexp.Regexp{regexp.MustCompile("keep")},
			Exclude: []*regexp.Regexp{regexp.MustCompile("health")},
		}, input(), []string{"keep 1", "drop", "keep health"},
			[]event{{"/g", "s", 7, "keep 1"}}, [4]int64{0, 2, 0, 0}},
		{"failed parse ships the line", Options{NewParser: kv}, input(), []string{"no fields", "a=1"},
			[]event{{"/g", "s", 7, "no fields"}, {"/g", "s", 7, "a=1"}}, [4]int64{1, 0, 0, 0}},
		{"time from a field", Options{NewParser: kv, TimeField: "ts", Time: &rfc}, input(),
			[]string{"ts=2026-03-20T10:00:00Z a=1", "ts=bad a=2", "a=3"},
			[]event{{"/g", "s", 1774000800000, "ts=2026-03-20T10:00:00Z a=1"},
				{"/g", "s", 7, "ts=bad a=2"}, {"/g", "s", 7, "a=3"}}, [4]int64{}},
		{"time from the start of the line", Options{Time: &rfc}, input(),
			[]string{"2026-03-20T10:00:00Z x", "x"},
			[]event{{"/g", "s", 1774000800000, "2026-03-20T10:00:00Z x"}, {"/g", "s", 7, "x"}}, [4]int64{}},
		{"route by field with fallbacks", Options{NewParser: kv}, Input{
			Group:         Template{{Text: "/app/"}, {Text: "svc", Field: true}},
			Stream:        Template{{Text: "level", Field: true}, {Text: "-x"}},
			FallbackGroup: "/fb", FallbackStream: "fb",
		}, []string{"svc=api level=warn", "svc=api level=error", "svc=db", "level=info", "plain", "svc=a:b level=c*d"},
			[]event{
				{"/app/api", "warn-x", 7, "svc=api level=warn"},
				{"/app/api", "error-x", 7, "svc=api level=error"},
				{"/app/db", "fb", 7, "svc=db"},
				{"/fb", "info-x", 7, "level=info"},
				{"/fb", "fb", 7, "plain"},
				{"/app/a_b", "c_d-x", 7, "svc=a:b level=c*d"},
			}, [4]int64{1, 0, 3, 0}},
		{"a null field is no name", Options{NewParser: func() record.Parser { return nullLevel{} }}, Input{
			Group: static("/g"), Stream: Template{{Text: "level", Field: true}}, FallbackGroup: "/fb", FallbackStream: "fb",
		}, []string{"x"}, []event{{"/g", "fb", 7, "x"}}, [4]int64{0, 0, 1, 0}},
		{"redaction comes before parsing", Options{NewParser: kv, Redact: secrets{}}, Input{
			Group: static("/g"), Stream: Template{{Text: "pw", Field: true}},
		}, []string{"pw=hunter2 msg=x"},
			[]event{{"/g", "[REDACTED_test]", 7, "pw=[REDACTED:test] msg=x"}}, [4]int64{}},
		{"unwrapped body", Options{NewParser: func() record.Parser { return unwrap{} }}, input(), []string{"wrapped", "empty"},
			[]event{{"/g", "s", 7, "body of wrapped"}}, [4]int64{0, 0, 0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Stats = new(Stats)
			p := New(&tt.opts, tt.in)
			var g pipeline.Group
			for _, l := range tt.lines {
				p.Line([]byte(l), 7, &g)
			}
			if diff := cmp.Diff(tt.want, events(&g), sortByDest()); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			s := tt.opts.Stats
			got := [4]int64{s.ParseFailed.Load(), s.Filtered.Load(), s.Fallback.Load(), s.Empty.Load()}
			if got != tt.stats {
				t.Errorf("stats (parse failed, filtered, fallback, empty) = %v, want %v", got, tt.stats)
			}
		})
	}
}

// sortByDest compares events in a stable order: a group lists its
// events by destination, then in order.
func sortByDest() cmp.Option {
	return cmp.Transformer("byDest", func(in []event) []event {
		out := append([]event(nil), in...)
		for i := 1; i < len(out); i++ {
			for j := i; j > 0 && less(out[j], out[j-1]); j-- {
				out[j], out[j-1] = out[j-1], out[j]
			}
		}
		return out
	})
}

func less(a, b event) bool { return a.Group+"\x00"+a.Stream < b.Group+"\x00"+b.Stream }

// nullLevel parses every line into {"level": null}.
type nullLevel struct{}

func (nullLevel) Parse(_ []byte, r *record.Record) record.Result {
	r.Reset()
	r.Add([]byte("level"), []byte("null"), record.JSON)
	return record.Parsed
}

// unwrap is a container-like format: "empty" has an empty body.
type unwrap struct{}

func (unwrap) Parse(line []byte, r *record.Record) record.Result {
	r.Reset()
	r.Unwrap = true
	r.Message = []byte{}
	if string(line) != "empty" {
		r.Message = append([]byte("body of "), line...)
	}
	return record.Parsed
}

func TestPartialIsHeldAndFlushed(t *testing.T) {
	opts := Options{NewParser: kv, Stats: new(Stats)}
	p := New(&opts, input())
	var g pipeline.Group
	p.Line([]byte(`msg=first\`), 7, &g)
	if g.Len() != 0 || !p.Holding() {
		t.Fatalf("after a partial line: %d events, holding %v; want 0, true", g.Len(), p.Holding())
	}
	p.Line([]byte(`-second`), 8, &g)
	p.Line([]byte(`msg=tail\`), 9, &g)
	p.Flush(10, &g)
	want := []event{{"/g", "s", 8, "first-second"}, {"/g", "s", 10, "msg=tail"}}
	if diff := cmp.Diff(want, events(&g)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if p.Holding() {
		t.Error("holding after Flush")
	}
}

func TestEnvelope(t *testing.T) {
	opts := Options{NewParser: kv, JSON: true, Stats: new(Stats),
		Labels: [][2]string{{"team", "pay"}}}
	in := input()
	in.Meta = [][2]string{{"host", "h1"}, {"file_path", "/var/log/a\"b.log"}}
	p := New(&opts, in)
	var g pipeline.Group
	p.Line([]byte("msg=hi level=warn"), 7, &g)
	p.Line([]byte("plain \x01 text\twith\ttabs"), 7, &g)
	got := events(&g)
	want := []string{
		`{"message":"hi","fields":{"msg":"hi","level":"warn"},"host":"h1","file_path":"/var/log/a\"b.log","labels":{"team":"pay"}}`,
		`{"message":"plain \u0001 text\twith\ttabs","parse_failed":true,"host":"h1","file_path":"/var/log/a\"b.log","labels":{"team":"pay"}}`,
	}
	for i, w := range want {
		if got[i].Msg != w {
			t.Errorf("envelope %d:\ngot  %s\nwant %s", i, got[i].Msg, w)
		}
		if !json.Valid([]byte(got[i].Msg)) {
			t.Errorf("envelope %d is not valid JSON", i)
		}
	}
}

func TestAppendStringIsValidJSON(t *testing.T) {
	for s, want := range map[string]string{
		"": "", "plain": "plain", "\"\\/": "\"\\/", "\x00\x1f\x7f": "\x00\x1f\x7f",
		"caf\xc3\xa9 \xff\xfe": "café \uFFFD\uFFFD", "\u2028 \U0001F525": "\u2028 \U0001F525",
	} {
		out := appendString(nil, []byte(s))
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Errorf("appendString(%q) = %s: %v", s, out, err)
			continue
		}
		if back != want {
			t.Errorf("appendString(%q) reads back as %q, want %q", s, back, want)
		}
	}
}

func TestRouteCacheIsBounded(t *testing.T) {
	opts := Options{NewParser: kv, Stats: new(Stats)}
	p := New(&opts, Input{Group: static("/g"), Stream: Template{{Text: "id", Field: true}}})
	var g pipeline.Group
	for i := range 3 * maxRoutes {
		p.Line([]byte("id="+time.Duration(i).String()), 7, &g)
	}
	if n := len(p.router.cache); n > maxRoutes {
		t.Errorf("route cache holds %d names, want at most %d", n, maxRoutes)
	}
}

// TestHotPathAllocatesNothing checks the promise of the package: once
// buffers have grown, an event costs no allocation, raw or routed by a
// field that keeps its values.
func TestHotPathAllocatesNothing(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts Options
		in   Input
	}{
		{"raw", Options{Redact: secrets{}}, input()},
		{"routed envelope", Options{NewParser: kv, JSON: true, Redact: secrets{}},
			Input{Group: static("/g"), Stream: Template{{Text: "level", Field: true}}, Meta: [][2]string{{"host", "h"}}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Stats = new(Stats)
			p := New(&tt.opts, tt.in)
			var g pipeline.Group
			line := []byte("level=info msg=hello user=alice")
			p.Line(line, 1, &g) // grow the buffers
			allocs := testing.AllocsPerRun(1000, func() { p.Line(line, 1, &g) })
			if allocs != 0 {
				t.Errorf("%.1f allocations per event, want 0", allocs)
			}
		})
	}
}

// TestLongerThanTheLimitAfterProcessing checks that no event leaves
// longer than MaxEventBytes when redaction or an envelope made it grow.
func TestLongerThanTheLimitAfterProcessing(t *testing.T) {
	const max = 64
	line := []byte(strings.Repeat("x", 40) + " hunter2 " + strings.Repeat("y", 10)) // 59 bytes, 67 redacted
	for _, tt := range []struct {
		name      string
		opts      Options
		wantCount int
	}{
		{"raw split", Options{MaxEventBytes: max, Oversize: frame.Split, Markers: true, Redact: secrets{}}, 2},
		{"raw truncated", Options{MaxEventBytes: max, Oversize: frame.Truncate, Markers: true, Redact: secrets{}}, 1},
		{"envelope", Options{MaxEventBytes: max, JSON: true, NewParser: kv}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Stats = new(Stats)
			p := New(&tt.opts, input())
			var g pipeline.Group
			p.Line(line, 7, &g)
			evs := events(&g)
			if len(evs) != tt.wantCount {
				t.Fatalf("%d events, want %d: %+v", len(evs), tt.wantCount, evs)
			}
			for _, e := range evs {
				if len(e.Msg) > max {
					t.Errorf("event of %d bytes, over %d: %q", len(e.Msg), max, e.Msg)
				}
				if tt.opts.JSON && !json.Valid([]byte(e.Msg)) {
					t.Errorf("cut envelope is not valid JSON: %s", e.Msg)
				}
			}
			if tt.opts.JSON && !strings.Contains(evs[0].Msg, frame.TruncatedMarker) {
				t.Errorf("cut envelope has no truncation marker: %s", evs[0].Msg)
			}
			if s := tt.opts.Stats; s.Split.Load()+s.Truncated.Load() != 1 {
				t.Errorf("split %d + truncated %d, want 1 in all", s.Split.Load(), s.Truncated.Load())
			}
		})
	}
}
