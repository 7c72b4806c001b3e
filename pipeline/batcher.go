package pipeline

import (
	"context"
	"time"
)

// stream is the batcher's queue of events for one Dest.
type stream struct {
	dest     Dest
	blocks   []*Block // pending; blocks[0] is consumed up to from
	from     int
	events   int       // pending events
	bytes    int       // pending bytes, counted as the service counts them
	since    time.Time // when the oldest pending event arrived
	inflight int       // requests of this stream being sent
	sentLast int64     // newest timestamp in flight, while inflight > 0
}

// minTick keeps a tiny flush interval from spinning the batcher.
const minTick = 10 * time.Millisecond

// batch is the batcher loop: it owns every stream, cuts requests when a
// stream is full or its oldest event is due, and hands them to the senders.
func (p *Pipeline) batch(ctx context.Context) error {
	var (
		streams  = make(map[Dest]*stream)
		ready    []*Request
		inflight int
		closing  bool
		closed   = p.closed
	)
	tick := time.NewTicker(max(p.opts.FlushInterval/4, minTick))
	defer tick.Stop()

	// dispatch cuts the stream's requests that are due. A stream has one
	// request in flight, or several while it holds full ones (a hot
	// stream), so a single busy file can use every sender. Requests in
	// flight together never overlap in time, so that the service, which
	// orders a stream by timestamp, stores them in read order.
	dispatch := func(s *stream, now time.Time) {
		if s.events == 0 {
			if s.inflight == 0 && len(s.blocks) == 0 {
				delete(streams, s.dest)
			}
			return
		}
		for s.events > 0 && s.inflight < p.opts.Concurrency {
			due := closing || s.full() || now.Sub(s.since) >= p.opts.FlushInterval
			if !due {
				return
			}
			if s.inflight > 0 && (!s.full() || s.nextFirst() <= s.sentLast) {
				return
			}
			r := s.cut()
			if s.inflight == 0 || r.Last > s.sentLast {
				s.sentLast = r.Last
			}
			ready = append(ready, r)
			s.inflight++
			inflight++
		}
	}
	accept := func(b *Block, now time.Time) {
		s := streams[b.Dest]
		if s == nil {
			s = &stream{dest: b.Dest}
			streams[b.Dest] = s
		}
		s.push(b, now)
		dispatch(s, now)
	}

	for {
		if closing && inflight == 0 && len(ready) == 0 && len(streams) == 0 {
			return nil
		}
		var out chan<- *Request
		var next *Request
		if len(ready) > 0 {
			out, next = p.work, ready[0]
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case b := <-p.in:
			accept(b, time.Now())
		case out <- next:
			ready[0] = nil
			ready = ready[1:]
		case dest := <-p.done:
			inflight--
			if s := streams[dest]; s != nil {
				s.inflight--
				dispatch(s, time.Now())
			}
		case <-closed:
			// No Submit is in progress once closed is closed: take what is
			// buffered, then flush everything.
			closed = nil
			now := time.Now()
			for drained := false; !drained; {
				select {
				case b := <-p.in:
					accept(b, now)
				default:
					drained = true
				}
			}
			closing = true
			for _, s := range streams {
				dispatch(s, now)
			}
		case now := <-tick.C:
			for _, s := range streams {
				dispatch(s, now)
			}
		}
	}
}

// push queues b's events.
func (s *stream) push(b *Block, now time.Time) {
	if s.events == 0 {
		s.since = now
	}
	s.blocks = append(s.blocks, b)
	s.events += len(b.Entries)
	for _, e := range b.Entries {
		s.bytes += int(e.Len) + EventOverhead
	}
}

// nextFirst returns the oldest timestamp of the request cut would take
// next, without taking it.
func (s *stream) nextFirst() int64 {
	var r Request
	from := s.from
	for _, b := range s.blocks {
		for i := from; i < len(b.Entries); i++ {
			e := b.Entries[i]
			size := int(e.Len) + EventOverhead
			if !r.fits(e.Time, size) {
				return r.First
			}
			r.add(e.Time, size)
		}
		from = 0
	}
	return r.First
}

// full reports whether the stream holds at least one full request.
func (s *stream) full() bool {
	return s.events >= MaxRequestEvents || s.bytes >= MaxRequestBytes
}

// cut takes the longest valid request from the front of the stream.
func (s *stream) cut() *Request {
	r := &Request{Dest: s.dest}
	for len(s.blocks) > 0 {
		b := s.blocks[0]
		i := s.from
		for ; i < len(b.Entries); i++ {
			e := b.Entries[i]
			size := int(e.Len) + EventOverhead
			if !r.fits(e.Time, size) {
				break
			}
			r.add(e.Time, size)
			s.bytes -= size
		}
		if i > s.from {
			b.hold(1)
			r.Parts = append(r.Parts, Part{Block: b, From: s.from, To: i})
			s.events -= i - s.from
		}
		if i < len(b.Entries) {
			s.from = i
			return r
		}
		s.blocks[0] = nil
		s.blocks = s.blocks[1:]
		s.from = 0
		b.release() // every event of b is in a request now
	}
	return r
}
