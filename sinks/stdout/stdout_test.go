package stdout

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/corral-logs/corral/pipeline"
)

func TestSendPrintsOneLinePerEvent(t *testing.T) {
	var out bytes.Buffer
	sink := New(&out)
	sink.now = func() time.Time { return time.UnixMilli(1774000800000 + 15*24*3600*1000) }
	p := pipeline.New(sink, pipeline.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()

	b := pipeline.NewBlock(pipeline.Dest{Group: "/g", Stream: "s"}, "test")
	b.Append(1774000800000, []byte(`a "quoted" <line>`))
	b.Append(1774000800001+14*24*3600*1000, []byte("second\tline"))
	b.Append(1774000800000+15*24*3600*1000+3*3600*1000, []byte("third"))
	tr := pipeline.NewTracker(pipeline.Position{})
	tr.Track(b, pipeline.Position{Offset: 3})
	if err := p.Submit(ctx, b); err != nil {
		t.Fatal(err)
	}
	p.CloseInput()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := `{"log_group":"/g","log_stream":"s","timestamp":"2026-03-20T10:00:00.000Z","message":"a \"quoted\" <line>","would_drop":"too_old"}
{"log_group":"/g","log_stream":"s","timestamp":"2026-04-03T10:00:00.001Z","message":"second\tline"}
{"log_group":"/g","log_stream":"s","timestamp":"2026-04-04T13:00:00.000Z","message":"third","would_drop":"too_new"}
`
	if out.String() != want {
		t.Errorf("printed:\n%s\nwant:\n%s", out.String(), want)
	}
	if got := tr.Committed().Offset; got != 3 {
		t.Errorf("committed offset %d after the dry run, want 3: printed events are acknowledged", got)
	}
}
