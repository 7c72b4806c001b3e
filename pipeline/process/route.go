package process

import (
	"encoding/binary"

	"github.com/corral-logs/corral/parsers/record"
	"github.com/corral-logs/corral/pipeline"
)

// maxRoutes bounds the names a router remembers: fields with endless
// values (a request id in a stream name) must not grow memory.
const maxRoutes = 1024

// router finds an event's destination. Templates without fields resolve
// once; the others per event, through a cache of sanitized names keyed
// by the expanded text, so that a steady set of names allocates nothing.
type router struct {
	in     Input
	static bool
	dest   pipeline.Dest
	cache  map[string]route
	buf    []byte
}

type route struct {
	dest     pipeline.Dest
	fallback bool
}

func (r *router) init(in Input) {
	r.in = in
	r.static = in.Group.static() && in.Stream.static()
	if r.static {
		group, _ := expand(nil, in.Group, nil)
		stream, _ := expand(nil, in.Stream, nil)
		r.dest = pipeline.Dest{
			Group:   pipeline.SanitizeGroup(string(group)),
			Stream:  pipeline.SanitizeStream(string(stream)),
			Profile: in.Profile,
		}
	}
}

// route returns rec's destination, and whether a fallback stood in for a
// template that names a field rec lacks.
func (r *router) route(rec *record.Record) (pipeline.Dest, bool) {
	if r.static {
		return r.dest, false
	}
	// The cache key is the expanded group, the expanded stream and the
	// two outcomes, with the group's length up front so that no pair of
	// names can make the same key.
	buf := append(r.buf[:0], 0, 0, 0, 0)
	buf, groupOK := expand(buf, r.in.Group, rec)
	split := len(buf)
	binary.BigEndian.PutUint32(buf, uint32(split-4))
	buf, streamOK := expand(buf, r.in.Stream, rec)
	buf = append(buf, boolByte(groupOK), boolByte(streamOK))
	r.buf = buf
	if hit, ok := r.cache[string(buf)]; ok {
		return hit.dest, hit.fallback
	}

	d := pipeline.Dest{Group: r.in.FallbackGroup, Stream: r.in.FallbackStream, Profile: r.in.Profile}
	if groupOK {
		d.Group = pipeline.SanitizeGroup(string(buf[4:split]))
	}
	if streamOK {
		d.Stream = pipeline.SanitizeStream(string(buf[split : len(buf)-2]))
	}
	if r.cache == nil || len(r.cache) >= maxRoutes {
		r.cache = make(map[string]route)
	}
	hit := route{dest: d, fallback: !groupOK || !streamOK}
	r.cache[string(buf)] = hit
	return hit.dest, hit.fallback
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// expand appends t filled in from rec's fields, and reports whether every
// field it names was found.
func expand(dst []byte, t Template, rec *record.Record) ([]byte, bool) {
	ok := true
	for _, p := range t {
		if !p.Field {
			dst = append(dst, p.Text...)
			continue
		}
		var v []byte
		var kind record.Kind
		found := false
		if rec != nil {
			v, kind, found = rec.Get(p.Text)
		}
		if !found || len(v) == 0 || kind == record.JSON && string(v) == "null" {
			ok = false
			continue
		}
		dst = append(dst, v...)
	}
	return dst, ok
}
