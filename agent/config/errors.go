package config

import (
	"sort"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a config file.
type Problem struct {
	// File is the file name as given to Parse.
	File string
	// Line is the 1-based line of the offending key or value, or 0 when
	// the problem has no single place (an empty file).
	Line int
	// Path is the YAML key path, such as "sources[2].paths", or "" for the
	// top level.
	Path string
	// Reason is a lowercase phrase saying what is wrong.
	Reason string
}

// String formats p as "file:line: path: reason", leaving out the line
// when it is 0 and the path when it is empty.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(p.Line))
	}
	b.WriteString(": ")
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Reason)
	return b.String()
}

// Errors is every problem found in a config file, in line order. Parse
// returns a non-empty Errors or a nil error, never an empty Errors.
type Errors []Problem

// Error returns the problems one per line.
func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, p := range e {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// sortByLine orders problems by line, keeping the order they were found
// in for problems on the same line.
func (e Errors) sortByLine() {
	sort.SliceStable(e, func(i, j int) bool { return e[i].Line < e[j].Line })
}
