package pipeline

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// Options configure a Pipeline. A zero value means the default.
type Options struct {
	// MaxBytes is the byte budget for events between reading and
	// acknowledgement. Default 32 MiB.
	MaxBytes int64
	// FlushInterval is the longest an event waits in the batcher before
	// its stream is flushed. Default 1 s.
	FlushInterval time.Duration
	// Concurrency is the most requests in flight across all streams.
	// Default 8.
	Concurrency int
}

// Defaults for Options.
const (
	DefaultMaxBytes      = 32 << 20
	DefaultFlushInterval = time.Second
	DefaultConcurrency   = 8
)

// ErrClosed is returned by Submit after CloseInput.
var ErrClosed = errors.New("pipeline: input closed")

// Pipeline takes blocks from sources, groups their events per stream into
// valid requests, and hands them to a Sink with bounded concurrency. A
// stream has one request in flight at a time, except while it holds more
// than a full request (a hot stream): then full requests whose times do
// not overlap go out in parallel. Either way the service, which orders a
// stream by timestamp, stores a stream's events in read order.
type Pipeline struct {
	sink   Sink
	opts   Options
	budget *Budget
	Stats  Stats

	in     chan *Block
	work   chan *Request
	done   chan Dest
	closed chan struct{}

	closeOnce sync.Once
	mu        sync.RWMutex // guards submits against CloseInput
	isClosed  bool         // guarded by mu

	sources sync.Map // source name → *SourceStats
}

// SourceStats counts one source's events through the pipeline. Events
// submitted and not yet done are the source's checkpoint lag: read, and
// not committable yet.
type SourceStats struct {
	Events atomic.Int64 // events submitted
	Bytes  atomic.Int64 // their message bytes
	Done   atomic.Int64 // events delivered or dropped for a counted reason
}

// Source returns the counters of the source called name.
func (p *Pipeline) Source(name string) *SourceStats {
	if st, ok := p.sources.Load(name); ok {
		return st.(*SourceStats)
	}
	st, _ := p.sources.LoadOrStore(name, new(SourceStats))
	return st.(*SourceStats)
}

// New returns a pipeline that delivers to sink.
func New(sink Sink, opts Options) *Pipeline {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = DefaultFlushInterval
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	return &Pipeline{
		sink:   sink,
		opts:   opts,
		budget: NewBudget(opts.MaxBytes),
		in:     make(chan *Block, 64),
		work:   make(chan *Request),
		done:   make(chan Dest, opts.Concurrency),
		closed: make(chan struct{}),
	}
}

// Budget returns the pipeline's byte budget.
func (p *Pipeline) Budget() *Budget { return p.budget }

// Submit hands b to the pipeline. It waits while the byte budget is spent.
// b must have been registered with a Tracker; a block without events is
// acknowledged at once.
// After Submit returns nil, the pipeline owns b.
func (p *Pipeline) Submit(ctx context.Context, b *Block) error {
	if len(b.Entries) == 0 {
		b.hold(1)
		b.release()
		return nil
	}
	cost, err := p.budget.Acquire(ctx, b.Size())
	if err != nil {
		return err
	}
	b.cost = cost
	b.budget = p.budget
	b.hold(1) // the batcher's reference, released once every event is in a request
	p.Stats.EventsIn.Add(int64(len(b.Entries)))
	st := p.Source(b.Source)
	st.Events.Add(int64(len(b.Entries)))
	st.Bytes.Add(int64(len(b.Data)))
	b.stats = st

	// undo takes back what a block that was not handed over counted.
	undo := func() {
		p.budget.Release(cost)
		b.cost = 0
		st.Events.Add(-int64(len(b.Entries)))
		st.Bytes.Add(-int64(len(b.Data)))
		b.stats = nil
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.isClosed {
		undo()
		return ErrClosed
	}
	select {
	case p.in <- b:
		return nil
	case <-ctx.Done():
		undo()
		return ctx.Err()
	}
}

// CloseInput tells the pipeline that no more blocks come. Run then flushes
// every stream and returns once everything was delivered.
func (p *Pipeline) CloseInput() {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.isClosed = true
		close(p.closed)
		p.mu.Unlock()
	})
}

// Run batches and sends until CloseInput was called and every event was
// delivered, or until ctx ends. Events not delivered by then stay
// unacknowledged.
func (p *Pipeline) Run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	for range p.opts.Concurrency {
		g.Go(func() error { return p.send(gctx) })
	}
	g.Go(func() error {
		defer close(p.work)
		return p.batch(gctx)
	})
	err := g.Wait()
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return nil
	}
	return err
}

// send is one sender: it delivers requests until the batcher is done.
func (p *Pipeline) send(ctx context.Context) error {
	for r := range p.work {
		if err := p.sink.Send(ctx, r); err != nil {
			return err
		}
		p.Stats.EventsOut.Add(int64(r.Events))
		dest := r.Dest
		r.done()
		select {
		case p.done <- dest:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Stats counts what went through the pipeline.
type Stats struct {
	EventsIn  atomic.Int64 // events submitted
	EventsOut atomic.Int64 // events whose request the sink finished
}
