package pipeline

import "sync"

// Position is how far into its input a source has read: a byte offset for
// files, a cursor for the journal.
type Position struct {
	Offset int64
	Cursor string
}

// Tracker turns the acknowledgements of one input's blocks, which arrive in
// any order, into the contiguous prefix the source may commit. Sources
// create one per input (a file, a journal) and never commit past
// Committed.
type Tracker struct {
	mu sync.Mutex
	// guarded by mu:
	base      uint64 // sequence number of marks[head]
	head      int
	marks     []mark
	committed Position
	next      uint64
	onCommit  func(Position)
}

type mark struct {
	pos  Position
	done bool
}

// NewTracker returns a tracker whose committed position starts at pos.
func NewTracker(pos Position) *Tracker {
	return &Tracker{committed: pos, base: 1, next: 1}
}

// OnCommit sets fn to be called each time the committed position moves,
// with the new position. Call it before the first Track or Advance. fn
// runs outside the tracker's lock on the goroutine that acknowledged a
// block (a pipeline sender) or called Advance, so it must not block; calls
// from concurrent acknowledgements may arrive out of order, so fn should
// look for the position it waits for rather than compare with the last.
func (t *Tracker) OnCommit(fn func(Position)) {
	t.mu.Lock()
	t.onCommit = fn
	t.mu.Unlock()
}

// Track registers b, whose events end at pos, as the next pending block.
// It must be called in read order, before the block is submitted.
func (t *Tracker) Track(b *Block, pos Position) {
	t.mu.Lock()
	b.tracker = t
	b.seq = t.next
	t.next++
	t.marks = append(t.marks, mark{pos: pos})
	t.mu.Unlock()
}

// Advance records that the input moved to pos without producing events
// (empty lines, say). It commits as soon as every earlier block is done.
func (t *Tracker) Advance(pos Position) {
	t.mu.Lock()
	t.next++
	t.marks = append(t.marks, mark{pos: pos, done: true})
	t.collectAndUnlock()
}

// Committed returns the position up to which every event was delivered or
// dropped for a counted reason.
func (t *Tracker) Committed() Position {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.committed
}

// Pending reports how many tracked blocks are not yet acknowledged.
func (t *Tracker) Pending() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.marks) - t.head
}

func (t *Tracker) ack(seq uint64) {
	t.mu.Lock()
	t.marks[t.head+int(seq-t.base)].done = true
	t.collectAndUnlock()
}

// collectAndUnlock collects, releases the lock held by the caller and then
// tells onCommit, if the committed position moved.
func (t *Tracker) collectAndUnlock() {
	moved := t.collectLocked()
	fn, pos := t.onCommit, t.committed
	t.mu.Unlock()
	if moved && fn != nil {
		fn(pos)
	}
}

// collectLocked moves the committed position over the done prefix and
// reports whether it moved.
func (t *Tracker) collectLocked() bool {
	moved := false
	for t.head < len(t.marks) && t.marks[t.head].done {
		moved = true
		t.committed = t.marks[t.head].pos
		t.marks[t.head] = mark{}
		t.head++
		t.base++
	}
	if t.head == len(t.marks) {
		t.marks = t.marks[:0]
		t.head = 0
	} else if t.head > 64 && t.head > len(t.marks)/2 {
		n := copy(t.marks, t.marks[t.head:])
		t.marks = t.marks[:n]
		t.head = 0
	}
	return moved
}
