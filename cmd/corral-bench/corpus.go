package main

import (
	"bufio"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Every generated line carries its sequence number once, as seqPrefix and
// seqDigits decimal digits, so that the bench can tell each event apart. A
// line written while corral runs follows it with stampSep and the time it
// was written, in Unix nanoseconds of stampDigits digits, so that the bench
// can time its delivery: "seq=0000000042.1774008000123456789".
const (
	seqPrefix   = "seq="
	seqDigits   = 10
	stampSep    = '.'
	stampDigits = 19
)

// lineBytes is the typical length of a generated line, without its newline.
const lineBytes = 200

// corpus is what the bench wrote and expects back: one line per sequence
// number 0 to len(hashes)-1. Lines written while corral runs are hashed as
// they are written, so hashes are atomic.
type corpus struct {
	hashes []atomic.Uint64 // hashes[seq] is the hash of line seq, without newline
	bytes  atomic.Int64    // message bytes of all lines written, without newlines
}

// newCorpus returns a corpus of n lines, none written yet.
func newCorpus(n int) *corpus {
	return &corpus{hashes: make([]atomic.Uint64, n)}
}

// add notes line seq as written, and returns line.
func (c *corpus) add(seq int, line []byte) []byte {
	c.hashes[seq].Store(maphash.Bytes(hashSeed, line))
	c.bytes.Add(int64(len(line)))
	return line
}

// hashSeed hashes the lines written and the messages received alike.
var hashSeed = maphash.MakeSeed()

// writeCorpus writes n generated lines to path. The lines are the same on
// every run: a mix of syslog, nginx combined and JSON lines, filled as
// fill says.
func writeCorpus(path string, n int, fill filler) (*corpus, error) {
	c := newCorpus(n)
	g := newGenerator()
	g.fill = fill
	return c, c.writeFile(path, g, 0, n)
}

// writeFile writes lines from to to-1 of c to a new file at path.
func (c *corpus) writeFile(path string, g *generator, from, to int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	var line []byte
	for seq := from; seq < to; seq++ {
		line = c.add(seq, g.line(line[:0], seq, 0))
		w.Write(line)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// parseSeq returns the sequence number in msg, and the time the line was
// written in Unix nanoseconds, or 0 if it was written before corral ran.
func parseSeq(msg string) (seq int, written int64, ok bool) {
	i := strings.Index(msg, seqPrefix)
	if i < 0 || len(msg) < i+len(seqPrefix)+seqDigits {
		return 0, 0, false
	}
	digits := msg[i+len(seqPrefix):]
	n, err := strconv.Atoi(digits[:seqDigits])
	if err != nil || n < 0 {
		return 0, 0, false
	}
	if stamp := digits[seqDigits:]; len(stamp) > stampDigits && stamp[0] == stampSep {
		written, err = strconv.ParseInt(stamp[1:1+stampDigits], 10, 64)
		if err != nil {
			return 0, 0, false
		}
	}
	return n, written, true
}

// filler is what a generated line is lengthened with after its sequence
// number.
type filler int

const (
	// fillWords adds what application lines carry: a trace id of 32
	// random hex digits, then phrases of a few templates with numbers in
	// them. This is the bench's default.
	fillWords filler = iota
	// fillRandom adds random letters: no log line looks like this, but it
	// is the worst case for gzip, which finds no repeats in them and so
	// is slowest and shrinks least.
	fillRandom
)

// generator makes plausible log lines from a fixed seed.
type generator struct {
	rng  *rand.Rand
	base time.Time // the clock of the lines' own timestamps
	fill filler
}

func newGenerator() *generator {
	return &generator{
		rng:  rand.New(rand.NewPCG(1, 2)),
		base: time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC),
	}
}

var (
	hosts    = []string{"web-01", "web-02", "api-07", "db-03", "batch-11"}
	programs = []string{"sshd", "cron", "systemd", "kernel", "sudo", "dockerd"}
	methods  = []string{"GET", "GET", "GET", "POST", "PUT", "DELETE"}
	paths    = []string{"/api/v1/items", "/api/v1/users", "/static/app.js", "/healthz", "/login"}
	statuses = []int{200, 200, 200, 200, 201, 204, 301, 304, 404, 500}
	agents   = []string{
		"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15",
		"curl/8.5.0",
		"Go-http-client/1.1",
	}
	levels = []string{"debug", "info", "info", "info", "warn", "error"}
	// phrases are what the filler says after its trace id, with a number
	// put in: log lines are written from a few templates each.
	phrases = []string{
		"cache miss for key user:%d, loaded from primary",
		"upstream responded in %d ms",
		"retrying request, attempt %d of 5",
		"connection pool: %d of 64 connections in use",
		"queue depth %d, workers busy",
		"flushed %d rows to the orders table",
		"session refreshed, expires in %d s",
		"feature flag checkout_v2 evaluated for tenant %d",
		"payment authorized, amount %d cents",
		"config reloaded, generation %d",
		"compaction finished for segment %d",
		"request body of %d bytes accepted",
	}
)

// line appends line seq to dst: syslog, nginx or JSON, chosen at random,
// padded with a filler field (g.fill) to a length drawn from lineBytes
// give or take 20, unless it is about that long already. A JSON line
// stays valid JSON: its sequence number and filler are string fields.
// written, when not 0, is the time of writing in Unix nanoseconds, put
// after the sequence number.
func (g *generator) line(dst []byte, seq int, written int64) []byte {
	start := len(dst)
	t := g.base.Add(time.Duration(seq) * time.Millisecond)
	r := g.rng
	json := false
	switch r.IntN(3) {
	case 0:
		dst = fmt.Appendf(dst, "%s %s %s[%d]: session opened for user deploy from 10.%d.%d.%d port %d",
			t.Format(time.Stamp), pick(r, hosts), pick(r, programs), 1000+r.IntN(60000),
			r.IntN(256), r.IntN(256), r.IntN(256), 1024+r.IntN(64000))
	case 1:
		dst = fmt.Appendf(dst, `10.%d.%d.%d - - [%s] "%s %s/%d HTTP/1.1" %d %d "-" "%s"`,
			r.IntN(256), r.IntN(256), r.IntN(256), t.Format("02/Jan/2006:15:04:05 -0700"),
			pick(r, methods), pick(r, paths), r.IntN(100000), pick(r, statuses), r.IntN(50000),
			pick(r, agents))
	default:
		json = true
		dst = fmt.Appendf(dst, `{"time":"%s","level":"%s","logger":"api","msg":"request served",`+
			`"path":"%s","status":%d,"duration_ms":%.3f,"user":"u-%06d"`,
			t.Format(time.RFC3339Nano), pick(r, levels), pick(r, paths), pick(r, statuses),
			r.Float64()*250, r.IntN(1000000))
	}

	// The sequence number, then filler up to the line's length.
	seqOpen, seqClose, padField, end := " ", "", " trace_id=", ""
	if json {
		seqOpen, seqClose, padField, end = `,"ref":"`, `"`, `,"trace_id":"`, `"}`
	}
	if g.fill == fillRandom {
		padField = strings.Replace(padField, "trace_id", "pad", 1)
	}
	dst = append(dst, seqOpen...)
	dst = fmt.Appendf(dst, "%s%0*d", seqPrefix, seqDigits, seq)
	if written != 0 {
		dst = fmt.Appendf(dst, "%c%0*d", stampSep, stampDigits, written)
	}
	dst = append(dst, seqClose...)
	want := lineBytes - 20 + r.IntN(41)
	if pad := want - (len(dst) - start) - len(padField) - len(end); pad > 0 {
		dst = append(dst, padField...)
		dst = g.pad(dst, pad)
	} else if json {
		end = "}"
	}
	return append(dst, end...)
}

func pick[T any](r *rand.Rand, from []T) T { return from[r.IntN(len(from))] }

// pad appends n bytes of filler to dst: no quote, backslash or control
// byte, so that it stays inside a JSON string as it is.
func (g *generator) pad(dst []byte, n int) []byte {
	r := g.rng
	if g.fill == fillRandom {
		for range n {
			dst = append(dst, 'a'+byte(r.IntN(26)))
		}
		return dst
	}
	end := len(dst) + n
	for range 32 {
		dst = append(dst, "0123456789abcdef"[r.IntN(16)])
	}
	for len(dst) < end {
		dst = append(dst, ' ')
		dst = fmt.Appendf(dst, pick(r, phrases), r.IntN(10000))
	}
	return dst[:end]
}
