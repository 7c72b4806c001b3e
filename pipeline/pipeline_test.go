package pipeline

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recordingSink remembers every request it was given.
type recordingSink struct {
	mu       sync.Mutex
	requests [][]string // guarded by mu
	sizes    []int      // guarded by mu
	block    chan struct{}
}

func (s *recordingSink) Send(ctx context.Context, r *Request) error {
	if s.block != nil {
		select {
		case <-s.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	var msgs []string
	r.Each(func(_ int64, m []byte) { msgs = append(msgs, string(m)) })
	s.mu.Lock()
	s.requests = append(s.requests, msgs)
	s.sizes = append(s.sizes, r.Bytes)
	s.mu.Unlock()
	return nil
}

func (s *recordingSink) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.requests {
		out = append(out, r...)
	}
	return out
}

// ship submits msgs in blocks of per events with timestamps from ts, closes
// the input and waits for the pipeline to finish.
func ship(t *testing.T, sink Sink, msgs []string, per int, ts func(i int) int64) *Tracker {
	t.Helper()
	p := New(sink, Options{FlushInterval: time.Hour})
	tr := NewTracker(Position{})
	ctx := context.Background()
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	for i := 0; i < len(msgs); i += per {
		b := NewBlock(Dest{Group: "g", Stream: "s"}, "test")
		for j := i; j < min(i+per, len(msgs)); j++ {
			b.Append(ts(j), []byte(msgs[j]))
		}
		tr.Track(b, Position{Offset: int64(min(i+per, len(msgs)))})
		if err := p.Submit(ctx, b); err != nil {
			t.Fatalf("submit: %v", err)
		}
	}
	p.CloseInput()
	if err := <-errc; err != nil {
		t.Fatalf("run: %v", err)
	}
	return tr
}

func TestRequestsObeyServiceLimits(t *testing.T) {
	pad := func(prefix string, n int) string {
		s := prefix
		for len(s) < n {
			s += "x"
		}
		return s
	}
	tests := []struct {
		name      string
		msgs      []string
		ts        func(int) int64
		maxEvents int // most events any request may hold
	}{
		{
			// 992 x 1,056 = 1,047,552 fits; 993 x 1,056 does not (case B28 part A).
			name: "bytes with overhead",
			msgs: func() []string {
				var m []string
				for i := range 1000 {
					m = append(m, pad(fmt.Sprintf("b-%04d-", i), 1030))
				}
				return m
			}(),
			ts:        func(int) int64 { return 1 },
			maxEvents: 992,
		},
		{
			name: "event count",
			msgs: func() []string {
				var m []string
				for i := range 12000 {
					m = append(m, fmt.Sprintf("e-%05d", i))
				}
				return m
			}(),
			ts:        func(int) int64 { return 1 },
			maxEvents: MaxRequestEvents,
		},
		{
			name:      "24 hour span",
			msgs:      []string{"a", "b", "c", "d"},
			ts:        func(i int) int64 { return int64(i) * 13 * 3600 * 1000 },
			maxEvents: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &recordingSink{}
			tr := ship(t, sink, tt.msgs, 333, tt.ts)
			if diff := cmp.Diff(tt.msgs, sink.all()); diff != "" {
				t.Errorf("delivered events differ (-want +got):\n%s", diff)
			}
			for i, r := range sink.requests {
				if len(r) > tt.maxEvents {
					t.Errorf("request %d holds %d events, want at most %d", i, len(r), tt.maxEvents)
				}
				if sink.sizes[i] > MaxRequestBytes {
					t.Errorf("request %d is %d bytes, over %d", i, sink.sizes[i], MaxRequestBytes)
				}
			}
			if got, want := tr.Committed().Offset, int64(len(tt.msgs)); got != want {
				t.Errorf("committed offset = %d, want %d", got, want)
			}
		})
	}
}

func TestTrackerCommitsContiguousPrefix(t *testing.T) {
	tr := NewTracker(Position{Offset: 10})
	blocks := make([]*Block, 4)
	for i := range blocks {
		blocks[i] = NewBlock(Dest{}, "t")
		tr.Track(blocks[i], Position{Offset: int64(20 + 10*i)})
		blocks[i].hold(1)
	}
	tr.Advance(Position{Offset: 65})
	steps := []struct {
		ack  int
		want int64
	}{{2, 10}, {0, 20}, {3, 20}, {1, 65}}
	for _, s := range steps {
		blocks[s.ack].release()
		if got := tr.Committed().Offset; got != s.want {
			t.Errorf("after ack of block %d: committed = %d, want %d", s.ack, got, s.want)
		}
	}
	if n := tr.Pending(); n != 0 {
		t.Errorf("pending = %d, want 0", n)
	}
}

func TestSubmitWaitsForBudget(t *testing.T) {
	sink := &recordingSink{block: make(chan struct{})}
	p := New(sink, Options{MaxBytes: 1000, FlushInterval: time.Millisecond, Concurrency: 1})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()

	tr := NewTracker(Position{})
	submit := func(ctx context.Context) error {
		b := NewBlock(Dest{Group: "g", Stream: "s"}, "t")
		b.Append(1, make([]byte, 600))
		tr.Track(b, Position{})
		return p.Submit(ctx, b)
	}
	if err := submit(ctx); err != nil {
		t.Fatal(err)
	}
	short, stop := context.WithTimeout(ctx, 50*time.Millisecond)
	defer stop()
	if err := submit(short); err == nil {
		t.Fatal("second submit did not wait for the budget")
	}
	if got := p.Budget().Used(); got > 1000 {
		t.Errorf("budget used = %d, over its size", got)
	}
	close(sink.block) // deliver: the budget frees up
	if err := submit(ctx); err != nil {
		t.Fatal(err)
	}
	p.CloseInput()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if got := p.Budget().Used(); got != 0 {
		t.Errorf("budget used after delivery = %d, want 0", got)
	}
}
