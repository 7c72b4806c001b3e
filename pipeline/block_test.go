package pipeline

import (
	"bytes"
	"fmt"
	"testing"
)

// A block's memory doubles up to maxDoubling and then grows by that much,
// so that a block read from a 128 KiB buffer is copied a handful of times,
// and no block holds more than maxDoubling it does not use.
func TestBlockDataGrowth(t *testing.T) {
	b := &Block{Dest: Dest{Group: "g", Stream: "s"}} // not from the pool, which may hold a grown one
	var caps []int
	for i := range 5000 {
		b.Append(int64(i), growthMessage(i))
		if n := len(caps); n == 0 || caps[n-1] != cap(b.Data) {
			caps = append(caps, cap(b.Data))
		}
		if unused := cap(b.Data) - len(b.Data); unused > max(maxDoubling, cap(b.Data)/5) {
			t.Fatalf("after %d bytes the block holds %d unused, more than %d or a fifth", len(b.Data), unused,
				maxDoubling)
		}
	}
	want := []int{512, 1 << 10, 2 << 10, 4 << 10, 8 << 10, 16 << 10, 32 << 10, 64 << 10, 128 << 10, 192 << 10,
		256 << 10, 320 << 10, 400 << 10, 500 << 10, 625 << 10, 800000, 1000000}
	if fmt.Sprint(caps) != fmt.Sprint(want) {
		t.Errorf("capacities %v, want %v", caps, want)
	}
	for i := range b.Len() {
		if got, want := b.Message(i), growthMessage(i); !bytes.Equal(got, want) {
			t.Fatalf("message %d is %q, want %q", i, got, want)
		}
	}
}

// growthMessage is the 200-byte message i of TestBlockDataGrowth.
func growthMessage(i int) []byte {
	return fmt.Appendf(nil, "%05d %s", i, bytes.Repeat([]byte{'x'}, 194))
}
