package s3

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/corral-logs/corral/internal/motoserver"
	"github.com/corral-logs/corral/parsers/record"
	"github.com/corral-logs/corral/pipeline"
)

// One moto server serves every test of the package; each test makes its
// own buckets and queues.
var (
	motoOnce sync.Once
	moto     *motoserver.Server
	motoErr  error
	// transport carries every SDK client of the tests; its idle
	// connections are closed before the leak check.
	transport = &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 32}
	testNum   atomic.Int64
)

func TestMain(m *testing.M) {
	code := m.Run()
	if moto != nil {
		if err := moto.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "close moto:", err)
		}
	}
	transport.CloseIdleConnections()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// startMoto returns the package's moto server, starting it on first use.
// Without moto installed it skips the test, or fails it when CI=true.
func startMoto(t *testing.T) *motoserver.Server {
	t.Helper()
	motoOnce.Do(func() { moto, motoErr = motoserver.Start(context.Background()) })
	if errors.Is(motoErr, motoserver.ErrNotInstalled) {
		if os.Getenv("CI") == "true" {
			t.Fatal(motoErr)
		}
		t.Skip(motoErr)
	}
	if motoErr != nil {
		t.Fatalf("start moto: %v", motoErr)
	}
	return moto
}

// env is one test's buckets and queues in moto.
type env struct {
	t     *testing.T
	cfg   aws.Config
	s3    *awss3.Client
	sqs   *sqs.Client
	queue string // URL of the queue
	dlq   string // URL of its dead-letter queue
	id    string // unique suffix of this test's names
}

// newEnv makes a queue with a dead-letter queue that takes a message after
// maxReceive receives.
func newEnv(t *testing.T, maxReceive int) *env {
	t.Helper()
	srv := startMoto(t)
	e := &env{t: t, id: strconv.FormatInt(testNum.Add(1), 10)}
	e.cfg = aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAS3SOURCETEST", "secret", ""),
		BaseEndpoint: aws.String(srv.URL),
		HTTPClient:   &http.Client{Transport: transport},
	}
	e.s3 = awss3.NewFromConfig(e.cfg, func(o *awss3.Options) {
		o.UsePathStyle = true
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	e.sqs = sqs.NewFromConfig(e.cfg)
	ctx := context.Background()
	name := strings.ReplaceAll(t.Name(), "/", "-")
	dlq, err := e.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name + "-dlq-" + e.id)})
	if err != nil {
		t.Fatal(err)
	}
	e.dlq = aws.ToString(dlq.QueueUrl)
	attrs, err := e.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: dlq.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatal(err)
	}
	policy := fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"%d"}`,
		attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)], maxReceive)
	q, err := e.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName:  aws.String(name + "-" + e.id),
		Attributes: map[string]string{string(sqstypes.QueueAttributeNameRedrivePolicy): policy},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.queue = aws.ToString(q.QueueUrl)
	return e
}

// bucket creates a bucket named after base and the test, and returns its
// name.
func (e *env) bucket(base string) string {
	e.t.Helper()
	name := base + "-" + e.id
	if _, err := e.s3.CreateBucket(context.Background(), &awss3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		e.t.Fatal(err)
	}
	return name
}

func (e *env) put(bucket, key string, data []byte) {
	e.t.Helper()
	_, err := e.s3.PutObject(context.Background(), &awss3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data),
	})
	if err != nil {
		e.t.Fatalf("put %s: %v", key, err)
	}
}

func (e *env) send(body string) {
	e.t.Helper()
	_, err := e.sqs.SendMessage(context.Background(), &sqs.SendMessageInput{
		QueueUrl: aws.String(e.queue), MessageBody: aws.String(body),
	})
	if err != nil {
		e.t.Fatalf("send: %v", err)
	}
}

// notify sends a direct S3 notification of an object created under key,
// encoded as S3 encodes keys.
func (e *env) notify(bucket, key string) {
	e.t.Helper()
	body, err := json.Marshal(map[string]any{"Records": []any{map[string]any{
		"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
		"s3": map[string]any{
			"bucket": map[string]any{"name": bucket},
			"object": map[string]any{"key": queryEscape(key), "size": 1},
		},
	}}})
	if err != nil {
		e.t.Fatal(err)
	}
	e.send(string(body))
}

// queryEscape encodes a key as S3 notifications do: form encoding.
func queryEscape(key string) string {
	var b strings.Builder
	for _, c := range []byte(key) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("-_.*", c) >= 0:
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// depth returns the visible and in-flight messages of a queue.
func (e *env) depth(url string) (visible, inFlight int) {
	e.t.Helper()
	out, err := e.sqs.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{
			sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	v, _ := strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
	n, _ := strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
	return v, n
}

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// event is one event the sink was given.
type event struct {
	Time int64
	Msg  string
}

// sink accepts every request, remembers its events per stream, sorted by
// time as the CloudWatch sink sends them, and fails the test on a request
// the service would refuse.
type sink struct {
	t         *testing.T
	delay     time.Duration // how long each request takes
	countOnly bool          // remember counts, not messages

	mu       sync.Mutex
	streams  map[string][]event // guarded by mu
	counted  map[string]int     // guarded by mu: with countOnly
	requests int                // guarded by mu
}

func newSink(t *testing.T) *sink {
	return &sink{t: t, streams: make(map[string][]event), counted: make(map[string]int)}
}

func (s *sink) Send(ctx context.Context, r *pipeline.Request) error {
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	var evs []event
	size := 0
	r.Each(func(ts int64, msg []byte) {
		evs = append(evs, event{ts, string(msg)})
		size += len(msg) + pipeline.EventOverhead
	})
	slices.SortStableFunc(evs, func(a, b event) int { return int(a.Time - b.Time) })
	switch {
	case len(evs) == 0 || len(evs) > pipeline.MaxRequestEvents:
		s.t.Errorf("request of %d events", len(evs))
	case size > pipeline.MaxRequestBytes:
		s.t.Errorf("request of %d bytes", size)
	case evs[len(evs)-1].Time-evs[0].Time >= pipeline.MaxRequestSpan.Milliseconds():
		s.t.Errorf("request spans %d ms", evs[len(evs)-1].Time-evs[0].Time)
	}
	for _, ev := range evs {
		if ev.Msg == "" {
			s.t.Error("empty message")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if s.countOnly {
		s.counted[r.Dest.Stream] += len(evs)
		return nil
	}
	s.streams[r.Dest.Stream] = append(s.streams[r.Dest.Stream], evs...)
	return nil
}

func (s *sink) events(stream string) []event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.streams[stream])
}

func (s *sink) counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.streams))
	for k, v := range s.streams {
		out[k] = len(v)
	}
	for k, n := range s.counted {
		out[k] += n
	}
	return out
}

func (s *sink) total() int {
	n := 0
	for _, c := range s.counts() {
		n += c
	}
	return n
}

// fixedProc routes every event of an object to a stream named bucket/key,
// at the record's time or else the read time, and keeps the records'
// fields.
type fixedProc struct {
	stream string
	fields *fieldLog
}

// fieldLog remembers the fields of every record, per stream.
type fieldLog struct {
	mu   sync.Mutex
	recs map[string][][][2]string // guarded by mu
}

func (p fixedProc) Line(line []byte, readTime int64, g *pipeline.Group) {
	g.Add(pipeline.Dest{Group: "g", Stream: p.stream}, "test", readTime, line)
}

func (p fixedProc) Record(rec *record.Record, msg []byte, readTime int64, g *pipeline.Group) {
	ts := rec.Time
	if ts == 0 {
		ts = readTime
	}
	if p.fields != nil {
		p.fields.mu.Lock()
		p.fields.recs[p.stream] = append(p.fields.recs[p.stream], rec.Pairs())
		p.fields.mu.Unlock()
	}
	g.Add(pipeline.Dest{Group: "g", Stream: p.stream}, "test", ts, msg)
}

func (fixedProc) Flush(int64, *pipeline.Group) {}

// reads counts the objects a source started to read, per bucket/key, with
// the time of each start.
type reads struct {
	mu    sync.Mutex
	times map[string][]time.Time // guarded by mu
}

func (r *reads) count(stream string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.times[stream])
}

func (r *reads) at(stream string) []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.times[stream])
}

// harness runs sources into one real pipeline with a test sink.
type harness struct {
	t      *testing.T
	sink   *sink
	pipe   *pipeline.Pipeline
	reads  *reads
	fields *fieldLog
	logs   *observer.ObservedLogs
	log    *zap.Logger

	pipeDone   chan error
	stopPipe   context.CancelFunc
	drainLimit time.Duration // how long stop lets the pipeline deliver; default a minute
	noFields   bool          // do not keep the fields of records
	stops      []func()
	sources    []*Source
}

func newHarness(t *testing.T, sk *sink, popts pipeline.Options) *harness {
	if popts.FlushInterval == 0 {
		popts.FlushInterval = 20 * time.Millisecond
	}
	core, logs := observer.New(zapcore.DebugLevel)
	h := &harness{
		t: t, sink: sk, pipe: pipeline.New(sk, popts),
		reads:    &reads{times: make(map[string][]time.Time)},
		fields:   &fieldLog{recs: make(map[string][][][2]string)},
		logs:     logs,
		log:      zap.New(core),
		pipeDone: make(chan error, 1),
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.stopPipe = cancel
	go func() { h.pipeDone <- h.pipe.Run(ctx) }()
	t.Cleanup(h.stop)
	return h
}

// start runs a source with opts completed by the harness and the env.
func (h *harness) start(e *env, opts Options) *Source {
	h.t.Helper()
	if opts.Name == "" {
		opts.Name = "s3-test"
	}
	if opts.QueueURL == "" && opts.Poll == nil {
		opts.QueueURL = e.queue
	}
	opts.AWS = e.cfg
	opts.UsePathStyle = true
	opts.Pipeline = h.pipe
	opts.Log = h.log
	if opts.VisibilityTimeout == 0 {
		opts.VisibilityTimeout = 2 * time.Second
	}
	if opts.WaitTime == 0 {
		opts.WaitTime = time.Second
	}
	opts.NewProcessor = func(o Object) Processor {
		stream := o.Bucket + "/" + o.Key
		h.reads.mu.Lock()
		h.reads.times[stream] = append(h.reads.times[stream], time.Now())
		h.reads.mu.Unlock()
		if h.noFields {
			return fixedProc{stream: stream}
		}
		return fixedProc{stream: stream, fields: h.fields}
	}
	s, err := New(opts)
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	h.stops = append(h.stops, func() {
		cancel()
		if err := <-done; err != nil {
			h.t.Errorf("run: %v", err)
		}
	})
	h.sources = append(h.sources, s)
	return s
}

// stop stops every source, drains the pipeline and commits, as the agent
// does.
func (h *harness) stop() {
	for _, stop := range h.stops {
		stop()
	}
	h.stops = nil
	if h.pipe == nil {
		return
	}
	h.pipe.CloseInput()
	limit := h.drainLimit
	if limit == 0 {
		limit = time.Minute
	}
	deadline := time.AfterFunc(limit, h.stopPipe)
	if err := <-h.pipeDone; err != nil {
		h.t.Errorf("pipeline: %v", err)
	}
	deadline.Stop()
	h.stopPipe()
	h.pipe = nil
	for _, s := range h.sources {
		if err := s.Commit(); err != nil {
			h.t.Errorf("commit: %v", err)
		}
	}
}

// entries returns the logged entries at level with message msg.
func (h *harness) entries(level zapcore.Level, msg string) []observer.LoggedEntry {
	return h.logs.FilterLevelExact(level).FilterMessage(msg).All()
}

// nopSubmitter accepts and drops blocks.
type nopSubmitter struct{}

func (nopSubmitter) Submit(context.Context, *pipeline.Block) error { return nil }

// memPeak samples the Go heap every 10 ms until stop is called, and then
// returns the peaks of the live heap (as the last GC marked it) and of the
// heap in use, and the process's peak RSS since memPeak was called (where
// Linux can reset the peak).
func memPeak() (stop func() memory) {
	// What the test made before is not the source's; reset VmHWM too.
	runtime.GC()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	done := make(chan struct{})
	result := make(chan memory, 1)
	go func() {
		var peak memory
		samples := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"},
			{Name: "/memory/classes/heap/unused:bytes"}}
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(samples)
			peak.live = max(peak.live, samples[0].Value.Uint64())
			peak.inUse = max(peak.inUse, samples[1].Value.Uint64()+samples[2].Value.Uint64())
			select {
			case <-done:
				peak.rss = peakRSS()
				result <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return func() memory {
		close(done)
		return <-result
	}
}

// memory is what memPeak measured.
type memory struct{ live, inUse, rss uint64 }

func (m memory) String() string {
	return fmt.Sprintf("peak live heap %.1f MiB, heap in use %.1f MiB, RSS %.1f MiB",
		float64(m.live)/(1<<20), float64(m.inUse)/(1<<20), float64(m.rss)/(1<<20))
}

// peakRSS reads the process's peak resident set (VmHWM) on Linux, 0
// elsewhere.
func peakRSS() uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
