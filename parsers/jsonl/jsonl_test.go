package jsonl

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corral-logs/corral/parsers/record"
)

// field is a field as a test states it.
type field struct {
	Key, Val string
	Kind     record.Kind
}

const (
	S = record.String
	J = record.JSON
)

// fields returns r's fields with their kinds.
func fields(r *record.Record) []field {
	var out []field
	for i, kv := range r.Pairs() {
		_, _, kind := r.Field(i)
		out = append(out, field{kv[0], kv[1], kind})
	}
	return out
}

var parseTests = []struct {
	name string
	line string
	want record.Result
	f    []field
}{
	{"flat", `{"a":"x","b":1,"c":true,"d":null}`, record.Parsed,
		[]field{{"a", "x", S}, {"b", "1", J}, {"c", "true", J}, {"d", "null", J}}},
	{"empty object", ` {} `, record.Parsed, nil},
	{"whitespace everywhere", " \t{ \"a\" :\r\n\"x\" , \"b\" : [ 1 , 2 ] }\r\n", record.Parsed,
		[]field{{"a", "x", S}, {"b", "[ 1 , 2 ]", J}}},
	{"escapes", `{"m":"q\"b\\s\/n\nt\tr\rb\bf\f"}`, record.Parsed,
		[]field{{"m", "q\"b\\s/n\nt\tr\rb\bf\f", S}}},
	{"unicode escapes", `{"m":"\u00e9\u0301 \u6771 \uD83D\uDE80"}`, record.Parsed,
		[]field{{"m", "é\u0301 東 🚀", S}}},
	{"nul escape", `{"m":"a\u0000b"}`, record.Parsed, []field{{"m", "a\x00b", S}}},
	{"lone high surrogate", `{"m":"a\ud800b"}`, record.Parsed, []field{{"m", "a\uFFFDb", S}}},
	{"lone low surrogate", `{"m":"\udc00"}`, record.Parsed, []field{{"m", "\uFFFD", S}}},
	{"high then high", `{"m":"\ud800\ud83d\ude80"}`, record.Parsed, []field{{"m", "\uFFFD🚀", S}}},
	{"high then letter", `{"m":"\ud800\u0041"}`, record.Parsed, []field{{"m", "\uFFFDA", S}}},
	{"high at end", `{"m":"\ud800"}`, record.Parsed, []field{{"m", "\uFFFD", S}}},
	{"escaped key", `{"a\"b\u00e9":"v"}`, record.Parsed, []field{{"a\"bé", "v", S}}},
	{"raw utf8 kept", `{"k":"naïve 東京"}`, record.Parsed, []field{{"k", "naïve 東京", S}}},
	{"big integer exact", `{"n":12345678901234567890}`, record.Parsed,
		[]field{{"n", "12345678901234567890", J}}},
	{"numbers", `{"a":-0.5,"b":1e3,"c":2E-7,"d":0,"e":-0}`, record.Parsed,
		[]field{{"a", "-0.5", J}, {"b", "1e3", J}, {"c", "2E-7", J}, {"d", "0", J}, {"e", "-0", J}}},
	{"duplicate keys", `{"dup":1,"dup":2}`, record.Parsed, []field{{"dup", "1", J}, {"dup", "2", J}}},
	{"nested", `{"o":{"a":[1,{"b":"\"}"}],"c":{}},"e":[]}`, record.Parsed,
		[]field{{"o", `{"a":[1,{"b":"\"}"}],"c":{}}`, J}, {"e", "[]", J}}},
	{"empty key and value", `{"":""}`, record.Parsed, []field{{"", "", S}}},

	{"empty line", ``, record.Failed, nil},
	{"spaces only", `   `, record.Failed, nil},
	{"plain text", `hello world`, record.Failed, nil},
	{"array", `[1,2]`, record.Failed, nil},
	{"string", `"x"`, record.Failed, nil},
	{"number", `42`, record.Failed, nil},
	{"two objects", `{"a":1}{"b":2}`, record.Failed, nil},
	{"trailing garbage", `{"a":1} x`, record.Failed, nil},
	{"truncated", `{"a":1,"b":`, record.Failed, nil},
	{"truncated string", `{"a":"x`, record.Failed, nil},
	{"truncated nested", `{"a":{"b":[1,2`, record.Failed, nil},
	{"unclosed", `{"a":1`, record.Failed, nil},
	{"trailing comma", `{"a":1,}`, record.Failed, nil},
	{"trailing comma in array", `{"a":[1,]}`, record.Failed, nil},
	{"missing colon", `{"a" 1}`, record.Failed, nil},
	{"unquoted key", `{a:1}`, record.Failed, nil},
	{"single quotes", `{'a':1}`, record.Failed, nil},
	{"leading zero", `{"a":01}`, record.Failed, nil},
	{"bare minus", `{"a":-}`, record.Failed, nil},
	{"dot without digits", `{"a":1.}`, record.Failed, nil},
	{"exponent without digits", `{"a":1e+}`, record.Failed, nil},
	{"plus sign", `{"a":+1}`, record.Failed, nil},
	{"bad literal", `{"a":tru}`, record.Failed, nil},
	{"literal with suffix", `{"a":truex}`, record.Failed, nil},
	{"bad escape", `{"a":"\x"}`, record.Failed, nil},
	{"short unicode escape", `{"a":"\u12"}`, record.Failed, nil},
	{"non-hex unicode escape", `{"a":"\u12g4"}`, record.Failed, nil},
	{"raw newline in string", "{\"a\":\"x\ny\"}", record.Failed, nil},
	{"raw tab in string", "{\"a\":\"x\ty\"}", record.Failed, nil},
	{"nested bad number", `{"a":[1,2,03]}`, record.Failed, nil},
	{"nested missing colon", `{"a":{"b" 1}}`, record.Failed, nil},
	{"nested mismatched brackets", `{"a":{"b":1]}`, record.Failed, nil},
	{"nested non-string key", `{"a":{1:2}}`, record.Failed, nil},
	{"nested trailing comma", `{"a":{"b":1,}}`, record.Failed, nil},
	{"form feed is not whitespace", "\f{}", record.Failed, nil},
	{"depth limit", `{"a":` + nest(MaxDepth-1) + `}`, record.Parsed,
		[]field{{"a", nest(MaxDepth - 1), J}}},
	{"beyond depth limit", `{"a":` + nest(MaxDepth) + `}`, record.Failed, nil},
}

// nest returns n nested empty arrays.
func nest(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }

func TestParse(t *testing.T) {
	p := New()
	var r record.Record
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			r.AddString("stale", []byte("from an earlier line"))
			got := p.Parse([]byte(tt.line), &r)
			if got != tt.want {
				t.Fatalf("Parse(%q) = %v, want %v", tt.line, got, tt.want)
			}
			if got != record.Parsed {
				return
			}
			if diff := cmp.Diff(tt.f, fields(&r)); diff != "" {
				t.Errorf("Parse(%q) fields (-want +got):\n%s", tt.line, diff)
			}
			if r.Time != 0 || r.Message != nil || r.Unwrap {
				t.Errorf("Parse(%q): Time %d, Message %q, Unwrap %v; want all unset",
					tt.line, r.Time, r.Message, r.Unwrap)
			}
		})
	}
}

// benchLine is a typical application log line of about 200 bytes.
const benchLine = `{"ts":"2026-01-01T00:00:01.010Z","level":"info","msg":"request \"done\"",` +
	`"method":"GET","path":"/api/v1/orders/42","status":200,"duration_ms":12.5,` +
	`"user":{"id":1001,"roles":["reader","writer"]}}`

func BenchmarkParse(b *testing.B) {
	p := New()
	var r record.Record
	line := []byte(benchLine)
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if p.Parse(line, &r) != record.Parsed {
			b.Fatal("not parsed")
		}
	}
}

func TestParseAllocatesNothing(t *testing.T) {
	p := New()
	var r record.Record
	line := []byte(benchLine)
	p.Parse(line, &r) // grow the buffers
	if n := testing.AllocsPerRun(100, func() { p.Parse(line, &r) }); n != 0 {
		t.Errorf("Parse allocates %v times per line, want 0", n)
	}
}
