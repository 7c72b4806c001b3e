package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCorpus checks the generated lines with either filler: each carries
// its own sequence number once, JSON lines are valid JSON, lengths stay
// near lineBytes, and the same lines come out on every run.
func TestCorpus(t *testing.T) {
	for name, fill := range map[string]filler{"words": fillWords, "random": fillRandom} {
		t.Run(name, func(t *testing.T) { testCorpus(t, fill) })
	}
}

func testCorpus(t *testing.T, fill filler) {
	const n = 3000
	dir := t.TempDir()
	var files [2][]byte
	for i := range files {
		path := filepath.Join(dir, "corpus.log")
		if _, err := writeCorpus(path, n, fill); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		files[i] = data
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Error("two runs wrote different lines")
	}

	lines := strings.Split(strings.TrimSuffix(string(files[0]), "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("got %d lines, want %d", len(lines), n)
	}
	kinds := map[byte]int{}
	total := 0
	for seq, line := range lines {
		total += len(line)
		if got, written, ok := parseSeq(line); !ok || got != seq || written != 0 {
			t.Errorf("line %d: sequence number %d, written %d, %v in %q", seq, got, written, ok, line)
		}
		if c := strings.Count(line, seqPrefix); c != 1 {
			t.Errorf("line %d: %d sequence numbers in %q", seq, c, line)
		}
		if len(line) < lineBytes-40 || len(line) > lineBytes+40 {
			t.Errorf("line %d: %d bytes, want about %d: %q", seq, len(line), lineBytes, line)
		}
		if line[0] == '{' && !json.Valid([]byte(line)) {
			t.Errorf("line %d: invalid JSON %q", seq, line)
		}
		kinds[line[0]]++
	}
	if mean := total / n; mean < lineBytes-10 || mean > lineBytes+10 {
		t.Errorf("lines of %d bytes on average, want about %d", mean, lineBytes)
	}
	if kinds['{'] < n/4 || kinds['1'] < n/4 {
		t.Errorf("line kinds by first byte %v, want a mix", kinds)
	}
}

// TestStampedLines checks lines written while corral runs: they carry the
// time of writing after the sequence number, and JSON ones stay valid.
func TestStampedLines(t *testing.T) {
	g := newGenerator()
	const written = int64(1774008000123456789)
	for seq := range 300 {
		line := string(g.line(nil, seq, written))
		gotSeq, gotWritten, ok := parseSeq(line)
		if !ok || gotSeq != seq || gotWritten != written {
			t.Errorf("line %d: parsed %d, %d, %v from %q", seq, gotSeq, gotWritten, ok, line)
		}
		if line[0] == '{' && !json.Valid([]byte(line)) {
			t.Errorf("line %d: invalid JSON %q", seq, line)
		}
		if len(line) < lineBytes-40 || len(line) > lineBytes+40 {
			t.Errorf("line %d: %d bytes, want about %d: %q", seq, len(line), lineBytes, line)
		}
	}
}
