package pipeline

// Group gathers the events a source read together from one input into
// one block per destination, so that events routed to different streams
// by their content still travel as blocks. Its blocks are tracked and
// submitted together; see Track.
type Group struct {
	blocks []*Block
	byDest map[Dest]*Block
	last   *Block // the block of the latest Add: most events go where the one before went
	events int
	bytes  int
}

// Add appends an event for dest. The message is copied.
func (g *Group) Add(dest Dest, source string, ts int64, msg []byte) {
	b := g.last
	if b == nil || b.Dest != dest {
		b = g.byDest[dest]
	}
	if b == nil {
		if g.byDest == nil {
			g.byDest = make(map[Dest]*Block)
		}
		b = NewBlock(dest, source)
		g.byDest[dest] = b
		g.blocks = append(g.blocks, b)
	}
	g.last = b
	b.Append(ts, msg)
	g.events++
	g.bytes += len(msg)
}

// Len reports the events in the group.
func (g *Group) Len() int { return g.events }

// Bytes reports the message bytes in the group.
func (g *Group) Bytes() int { return g.bytes }

// Blocks returns the group's blocks in the order their destinations were
// first used.
func (g *Group) Blocks() []*Block { return g.blocks }

// Track registers the group's blocks with t in order: every block but the
// last at from, the position before the group, and the last at to, so
// that to is committed only once every block was delivered. A group
// without events just advances t to to.
func (g *Group) Track(t *Tracker, from, to Position) {
	if len(g.blocks) == 0 {
		if to != from {
			t.Advance(to)
		}
		return
	}
	for i, b := range g.blocks {
		pos := from
		if i == len(g.blocks)-1 {
			pos = to
		}
		t.Track(b, pos)
	}
}

// Reset empties the group after its blocks were handed over; the blocks
// belong to the pipeline from then on.
func (g *Group) Reset() {
	clear(g.byDest)
	clear(g.blocks)
	g.last = nil
	g.blocks = g.blocks[:0]
	g.events = 0
	g.bytes = 0
}
