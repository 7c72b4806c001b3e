package stdout

import (
	"bytes"
	"context"
	"testing"

	"github.com/corral-logs/corral/pipeline"
)

func TestSendPrintsOneLinePerEvent(t *testing.T) {
	var out bytes.Buffer
	sink := New(&out)
	p := pipeline.New(sink, pipeline.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()

	b := pipeline.NewBlock(pipeline.Dest{Group: "/g", Stream: "s"}, "test")
	b.Append(1774000800000, []byte(`a "quoted" <line>`))
	b.Append(1774000800001, []byte("second\tline"))
	tr := pipeline.NewTracker(pipeline.Position{})
	tr.Track(b, pipeline.Position{Offset: 2})
	if err := p.Submit(ctx, b); err != nil {
		t.Fatal(err)
	}
	p.CloseInput()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := `{"log_group":"/g","log_stream":"s","timestamp":"2026-03-20T10:00:00.000Z","message":"a \"quoted\" <line>"}
{"log_group":"/g","log_stream":"s","timestamp":"2026-03-20T10:00:00.001Z","message":"second\tline"}
`
	if out.String() != want {
		t.Errorf("printed:\n%s\nwant:\n%s", out.String(), want)
	}
	if got := tr.Committed().Offset; got != 2 {
		t.Errorf("committed offset %d after the dry run, want 2: printed events are acknowledged", got)
	}
}
