package pipeline

import "context"

// Part is a run of one block's events, [From, To), inside a Request.
type Part struct {
	Block    *Block
	From, To int
}

// Request is a batch of events for one Dest that obeys every rule in
// limits.go except order: its events are in read order, and a sink sorts
// them by time before it sends.
type Request struct {
	Dest   Dest
	Parts  []Part
	Events int   // number of events
	Bytes  int   // sum of message bytes plus EventOverhead each
	First  int64 // oldest timestamp, Unix ms
	Last   int64 // newest timestamp, Unix ms
}

// Each calls fn for every event of the request, in read order.
func (r *Request) Each(fn func(ts int64, msg []byte)) {
	for _, p := range r.Parts {
		for i := p.From; i < p.To; i++ {
			fn(p.Block.Entries[i].Time, p.Block.Message(i))
		}
	}
}

// done acknowledges every part of the request.
func (r *Request) done() {
	for _, p := range r.Parts {
		p.Block.release()
	}
	r.Parts = r.Parts[:0]
}

// Sink delivers requests. Send returns when every event of r was accepted
// or dropped for a counted reason, retrying for as long as it takes, or
// when ctx ends; then the events stay unacknowledged and are read again
// after a restart.
type Sink interface {
	Send(ctx context.Context, r *Request) error
}

// spanMillis is MaxRequestSpan in the unit of Entry.Time.
var spanMillis = MaxRequestSpan.Milliseconds()

// fits reports whether an event of size bytes at ts may join r.
func (r *Request) fits(ts int64, size int) bool {
	if r.Events == 0 {
		return true
	}
	if r.Events >= MaxRequestEvents || r.Bytes+size > MaxRequestBytes {
		return false
	}
	// Strictly less: some endpoints refuse a span of exactly 24 hours.
	return max(r.Last, ts)-min(r.First, ts) < spanMillis
}

// add counts an event of size bytes at ts into r.
func (r *Request) add(ts int64, size int) {
	if r.Events == 0 {
		r.First, r.Last = ts, ts
	}
	r.First = min(r.First, ts)
	r.Last = max(r.Last, ts)
	r.Events++
	r.Bytes += size
}
