package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxNodes bounds the nodes one decode visits, counting each use of an
// alias again, so that a small file of nested aliases cannot expand into
// millions of values. A real config has a few hundred nodes.
const maxNodes = 100_000

// decoder walks a YAML node tree against the config structs, using their
// yaml tags, and collects a problem for everything it cannot place instead
// of stopping at the first.
type decoder struct {
	file     string
	problems Errors
	// lines maps the path of every key written, and of every list item,
	// to its line. Paths look like "sources[0].paths[1]".
	lines map[string]int
	// null holds the paths whose value was written as null; they keep
	// their defaults.
	null map[string]bool
	// bad holds the paths whose value could not be decoded, so checks
	// skip them and their children rather than report them twice.
	bad     map[string]bool
	visited int
}

func newDecoder(file string) *decoder {
	return &decoder{
		file:  file,
		lines: make(map[string]int),
		null:  make(map[string]bool),
		bad:   make(map[string]bool),
	}
}

// decode decodes n into cfg.
func (d *decoder) decode(n *yaml.Node, cfg *Config) {
	d.value(n, reflect.ValueOf(cfg).Elem(), "")
}

// problem records a problem at line.
func (d *decoder) problem(line int, path, format string, args ...any) {
	d.problems = append(d.problems, Problem{
		File: d.file, Line: line, Path: path, Reason: fmt.Sprintf(format, args...),
	})
}

// wrongType records that n does not have the type of v.
func (d *decoder) wrongType(n *yaml.Node, path, want string) {
	d.bad[path] = true
	d.problem(n.Line, path, "want %s, got %s", want, describeNode(n))
}

// value decodes n into v, which is addressable.
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if d.visited++; d.visited == maxNodes {
		// What was decoded is incomplete, so checking it would only add
		// noise: mark the whole file bad.
		d.bad[""] = true
		d.problem(n.Line, path, "too many values (over %d, counting each use of an alias)", maxNodes)
	}
	if d.visited >= maxNodes || isNull(n) {
		return
	}

	if s, ok := v.Addr().Interface().(scalarValue); ok {
		if n.Kind != yaml.ScalarNode {
			d.wrongType(n, path, s.describe())
			return
		}
		if err := s.decodeScalar(n.Value); err != nil {
			d.bad[path] = true
			d.problem(n.Line, path, "%s", err.Error())
		}
		return
	}

	switch v.Kind() {
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.wrongType(n, path, "a string")
			return
		}
		v.SetString(n.Value)
	case reflect.Int:
		var i int
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&i) != nil {
			d.wrongType(n, path, "an integer")
			return
		}
		v.SetInt(int64(i))
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&b) != nil {
			d.wrongType(n, path, "true or false")
			return
		}
		v.SetBool(b)
	case reflect.Map:
		d.stringMap(n, v, path)
	case reflect.Slice:
		d.list(n, v, path)
	case reflect.Pointer:
		elem := reflect.New(v.Type().Elem())
		d.value(n, elem.Elem(), path)
		v.Set(elem)
	case reflect.Struct:
		d.mapping(n, v, path)
	default:
		panic(fmt.Sprintf("config: field %s has unsupported type %s", path, v.Type()))
	}
}

// stringMap decodes a mapping of scalars into the map[string]string v.
func (d *decoder) stringMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode || v.Type().Key().Kind() != reflect.String || v.Type().Elem().Kind() != reflect.String {
		d.wrongType(n, path, "a mapping of strings to strings")
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		keyPath := path + "." + k.Value
		d.lines[keyPath] = k.Line
		if k.Kind != yaml.ScalarNode || val.Kind != yaml.ScalarNode {
			d.wrongType(val, keyPath, "a string")
			continue
		}
		if m.MapIndex(reflect.ValueOf(k.Value)).IsValid() {
			d.problem(k.Line, path, "duplicate key %s", quote(k.Value))
			continue
		}
		m.SetMapIndex(reflect.ValueOf(k.Value), reflect.ValueOf(val.Value))
	}
	v.Set(m)
}

// list decodes a sequence node into the slice v.
func (d *decoder) list(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.wrongType(n, path, describeType(v.Type()))
		return
	}
	if len(n.Content) == 0 {
		return // an empty list is no list: nil, as when the key is absent
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		itemPath := path + "[" + strconv.Itoa(i) + "]"
		d.lines[itemPath] = item.Line
		d.value(item, s.Index(i), itemPath)
	}
	v.Set(s)
}

// mapping decodes a mapping node into the struct v, reporting unknown and
// duplicate keys.
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.wrongType(n, path, "a mapping")
		return
	}
	fields := structFields(v.Type())
	firstLine := make(map[string]int)
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		for key.Kind == yaml.AliasNode && key.Alias != nil {
			key = key.Alias
		}
		if key.Kind != yaml.ScalarNode {
			d.problem(key.Line, path, "want a string key, got %s", describeNode(key))
			continue
		}
		name := key.Value
		if key.Tag == "!!merge" {
			d.problem(key.Line, path, `merge keys ("<<") are not supported`)
			continue
		}
		if line, dup := firstLine[name]; dup {
			d.problem(key.Line, path, "duplicate key %s (first at line %d)", quote(name), line)
			continue
		}
		firstLine[name] = key.Line
		index, ok := fields[name]
		if !ok {
			d.problem(key.Line, path, "unknown key %s%s", quote(name), suggest(name, fields))
			continue
		}
		fieldPath := joinPath(path, name)
		d.lines[fieldPath] = key.Line
		if isNull(val) {
			d.null[fieldPath] = true
		}
		d.value(val, v.Field(index), fieldPath)
	}
}

// structFields maps the yaml names of t's fields to their index. Fields
// tagged "-" are not part of the file.
func structFields(t reflect.Type) map[string]int {
	fields := make(map[string]int)
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			fields[name] = i
		}
	}
	return fields
}

// suggest returns `, did you mean "x"?` for the known key closest to name,
// when it is at most two edits away, or "".
func suggest(name string, fields map[string]int) string {
	const maxEdits = 2
	best, bestDist := "", maxEdits+1
	for known := range fields {
		dist := editDistance(strings.ToLower(name), known)
		if dist < bestDist || dist == bestDist && known < best {
			best, bestDist = known, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(", did you mean %q?", best)
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// parentPath returns the path one level up: "a.b[2]" for "a.b[2].c", "a.b"
// for "a.b[2]", "" for "a".
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// describeNode says what a node holds, for "got ..." in messages.
func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return quote(n.Value)
	}
	return "an alias"
}

// describeType says what a field wants, for "want ..." in messages.
func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int:
		return "an integer"
	case reflect.Slice:
		elem := describeType(t.Elem()) // "a string" → "a list of strings"
		_, noun, _ := strings.Cut(elem, " ")
		return "a list of " + noun + "s"
	}
	return "a mapping"
}
