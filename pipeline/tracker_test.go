package pipeline

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTrackerOnCommitReportsEachMove(t *testing.T) {
	tr := NewTracker(Position{})
	var got []int64
	tr.OnCommit(func(p Position) { got = append(got, p.Offset) })
	blocks := make([]*Block, 3)
	for i := range blocks {
		blocks[i] = NewBlock(Dest{}, "t")
		tr.Track(blocks[i], Position{Offset: int64(i + 1)})
		blocks[i].hold(1)
	}
	tr.Advance(Position{Offset: 9}) // the end of the input, after every block

	blocks[1].release() // not contiguous yet: no call
	if len(got) != 0 {
		t.Fatalf("OnCommit called before the prefix moved: %v", got)
	}
	blocks[0].release() // commits 1 and 2 in one move
	blocks[2].release() // commits 3 and the end
	if want := []int64{2, 9}; !cmp.Equal(got, want) {
		t.Errorf("OnCommit positions = %v, want %v", got, want)
	}
}

func TestTrackerOnCommitFromAdvance(t *testing.T) {
	tr := NewTracker(Position{})
	var got []Position
	tr.OnCommit(func(p Position) {
		// The tracker's lock is released before the call.
		if c := tr.Committed(); c != p {
			t.Errorf("Committed() = %v inside OnCommit(%v)", c, p)
		}
		got = append(got, p)
	})
	tr.Advance(Position{Cursor: "end"})
	if want := []Position{{Cursor: "end"}}; !cmp.Equal(got, want) {
		t.Errorf("OnCommit positions = %v, want %v", got, want)
	}
}
