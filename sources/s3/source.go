// Package s3 is the S3 source: it reads log objects (CloudTrail, VPC Flow
// Logs, plain lines) from S3 as an SQS queue announces them, or by listing
// a prefix, and deletes a message only once every event of every object
// it names was delivered. Several agents on one queue share the work: a
// message being read is invisible to the others.
package s3

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/corral-logs/corral/parsers/frame"
	"github.com/corral-logs/corral/parsers/record"
	"github.com/corral-logs/corral/pipeline"
)

// Submitter takes blocks of events; *pipeline.Pipeline is one.
type Submitter interface {
	Submit(ctx context.Context, b *pipeline.Block) error
}

// Processor turns the events of one object into routed events in a
// group; *process.Processor is one.
type Processor interface {
	// Line processes a line of an object read with the lines format.
	Line(line []byte, readTime int64, g *pipeline.Group)
	// Record processes a record the source parsed (CloudTrail, VPC Flow
	// Logs): msg is its text, rec its fields and time.
	Record(rec *record.Record, msg []byte, readTime int64, g *pipeline.Group)
	// Flush adds an event a line parser still holds, at the end of the
	// object.
	Flush(readTime int64, g *pipeline.Group)
}

// Format says how an object's content is read.
type Format string

// The formats.
const (
	// CloudTrail reads a CloudTrail log file: one event per record, at its
	// eventTime. Digest files and keys that are not log files are skipped
	// without being fetched.
	CloudTrail Format = "cloudtrail"
	// VPCFlow reads a VPC Flow Logs file: a header line naming the fields,
	// then one event per line, at its start time.
	VPCFlow Format = "vpcflow"
	// Lines reads each line as an event, parsed by the Processor.
	Lines Format = "lines"
)

// Poll configures reading by listing a prefix instead of from a queue.
type Poll struct {
	Bucket string
	Prefix string
	// Interval is the time between listings. Default 1 minute.
	Interval time.Duration
	// Window is how long a key is remembered once read, so that a key
	// delivered late is still read once even if it sorts before keys
	// already read. Objects last modified before the window, counted from
	// now, are not read, on the first listing too. Default 24 hours.
	Window time.Duration
}

// Options configure a Source. A zero value means the default.
type Options struct {
	// Name identifies the source in metrics, logs and its state file.
	Name string
	// QueueURL is the SQS queue that announces new objects. Exactly one of
	// QueueURL and Poll is set.
	QueueURL string
	// Poll reads by listing a prefix.
	Poll *Poll
	// Format is how objects are read. Default Lines.
	Format Format
	// Insights also reads CloudTrail Insights files (keys with a
	// CloudTrail-Insight segment); they are skipped otherwise.
	Insights bool
	// AWS is the configuration of the S3 and SQS clients: region,
	// credentials and endpoint of the account that holds the bucket and
	// the queue.
	AWS aws.Config
	// UsePathStyle addresses buckets in the path, not the host name, as
	// emulators and some S3-compatible stores need.
	UsePathStyle bool
	// NewProcessor returns the processing of one object's events.
	NewProcessor func(Object) Processor
	// Pipeline takes the events.
	Pipeline Submitter
	// StateDir holds the polling state. Empty: polling remembers keys in
	// memory only.
	StateDir string
	// Workers is how many objects are read at once. Default 3.
	Workers int
	// MaxInFlight caps the SQS messages received and not yet deleted or
	// given up, including those whose events await delivery. Default 100.
	MaxInFlight int
	// VisibilityTimeout is how long a received message stays invisible to
	// other consumers; it is extended for as long as the message is in
	// work, so a crashed agent's messages return after at most this long.
	// Whole seconds. Default 60 s.
	VisibilityTimeout time.Duration
	// WaitTime is the long-polling wait of one receive. Whole seconds, at
	// most 20. Default 20 s.
	WaitTime time.Duration
	// MaxObjectBytes caps the decompressed bytes read from one object; a
	// larger object fails (a gzip bomb, say). Default 1 GiB.
	MaxObjectBytes int64
	// MaxEventBytes is the longest message: longer lines are cut (see
	// Oversize), longer CloudTrail records and flow log lines dropped and
	// counted. Default pipeline.MaxEventBytes.
	MaxEventBytes int
	// Oversize and NoMarkers say how long lines of the lines format are
	// cut, as for files.
	Oversize  frame.Oversize
	NoMarkers bool
	// GroupBytes is how many message bytes are gathered before they are
	// submitted as blocks. Default 1 MiB.
	GroupBytes int
	// Log receives the source's logs. Default: none.
	Log *zap.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Defaults for Options.
const (
	DefaultWorkers           = 3
	DefaultMaxInFlight       = 100
	DefaultVisibilityTimeout = 60 * time.Second
	DefaultWaitTime          = 20 * time.Second
	DefaultMaxObjectBytes    = 1 << 30
	DefaultGroupBytes        = 1 << 20
	DefaultPollInterval      = time.Minute
	DefaultPollWindow        = 24 * time.Hour

	// groupEvents caps the events of one group, so that small events are
	// still submitted in blocks of a reasonable count.
	groupEvents = 4096
	// commitTimeout bounds the deletes and state writes of Commit.
	commitTimeout = 10 * time.Second
	// maxWaitTime is SQS's longest receive wait.
	maxWaitTime = 20 * time.Second
)

// Stats counts what the source did, for metrics.
type Stats struct {
	MessagesReceived atomic.Int64 // SQS messages received
	MessagesDeleted  atomic.Int64 // deleted once their work was done (or there was none)
	MessagesBad      atomic.Int64 // not a notification: left for the dead-letter queue
	MessagesIgnored  atomic.Int64 // test events and events that create no object: deleted
	ObjectsRead      atomic.Int64 // objects read to their end
	ObjectsFailed    atomic.Int64 // objects that could not be fetched, decoded or parsed
	ObjectsSkipped   atomic.Int64 // keys that are not log files of the format: not fetched
	Listings         atomic.Int64 // listings of the prefix done (polling mode)
	Records          atomic.Int64 // events handed to processing
	Bytes            atomic.Int64 // decompressed bytes read
	ParseFailed      atomic.Int64 // flow log lines that do not match their header: shipped as they are
	Oversize         atomic.Int64 // records or lines over MaxEventBytes: dropped
	Replaced         atomic.Int64 // events with invalid UTF-8 or NUL replaced
	Split            atomic.Int64 // lines shipped as several events
	Truncated        atomic.Int64 // lines cut short
	Empty            atomic.Int64 // empty lines skipped
}

// Source reads the objects of one queue or prefix.
type Source struct {
	opts  Options
	log   *zap.Logger
	s3    *awss3.Client
	sqs   *sqs.Client
	Stats Stats

	slots *semaphore.Weighted // one per message in flight

	mu       sync.Mutex
	inFlight map[string]*job // guarded by mu: jobs not yet deleted or given up, by receipt handle or key
	done     []*job          // guarded by mu: jobs whose events were all delivered
	logged   map[string]bool // guarded by mu: failures already logged, by key or message id
	doneSig  chan struct{}   // a job was added to done

	poll *pollState // polling mode only
}

// job is the work of one SQS message, or of one listed key.
type job struct {
	objects []Object
	msg     *message // SQS mode
	key     string   // polling mode: the listed key
	mod     time.Time
	events  int64
}

// New returns a source.
func New(opts Options) (*Source, error) {
	if (opts.QueueURL == "") == (opts.Poll == nil) {
		return nil, fmt.Errorf("source %s: set exactly one of queue URL and poll", opts.Name)
	}
	if p := opts.Poll; p != nil && p.Bucket == "" {
		return nil, fmt.Errorf("source %s: poll: no bucket", opts.Name)
	}
	if opts.NewProcessor == nil || opts.Pipeline == nil {
		return nil, fmt.Errorf("source %s: no processor or pipeline", opts.Name)
	}
	switch opts.Format {
	case "":
		opts.Format = Lines
	case CloudTrail, VPCFlow, Lines:
	default:
		return nil, fmt.Errorf("source %s: unknown format %q", opts.Name, opts.Format)
	}
	setDefaults(&opts)
	s := &Source{
		opts: opts,
		log:  opts.Log.With(zap.String("source", opts.Name)),
		s3: awss3.NewFromConfig(opts.AWS, func(o *awss3.Options) {
			o.UsePathStyle = opts.UsePathStyle
			o.DisableLogOutputChecksumValidationSkipped = true
		}),
		sqs:      sqs.NewFromConfig(opts.AWS),
		slots:    semaphore.NewWeighted(int64(opts.MaxInFlight)),
		inFlight: make(map[string]*job),
		logged:   make(map[string]bool),
		doneSig:  make(chan struct{}, 1),
	}
	if opts.Poll != nil {
		path := ""
		if opts.StateDir != "" {
			path = filepath.Join(opts.StateDir, "s3-"+sanitizeName(opts.Name)+".json")
		}
		st, err := loadPollState(path)
		if err != nil {
			s.log.Warn("poll state unusable, starting without it", zap.String("path", path), zap.Error(err))
		}
		s.poll = st
	}
	return s, nil
}

func setDefaults(o *Options) {
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = DefaultMaxInFlight
	}
	if o.VisibilityTimeout <= 0 {
		o.VisibilityTimeout = DefaultVisibilityTimeout
	}
	o.VisibilityTimeout = max(time.Second, o.VisibilityTimeout.Truncate(time.Second))
	if o.WaitTime <= 0 {
		o.WaitTime = DefaultWaitTime
	}
	o.WaitTime = min(maxWaitTime, max(time.Second, o.WaitTime.Truncate(time.Second)))
	if o.MaxObjectBytes <= 0 {
		o.MaxObjectBytes = DefaultMaxObjectBytes
	}
	if o.MaxEventBytes <= 0 {
		o.MaxEventBytes = pipeline.MaxEventBytes
	}
	if o.GroupBytes <= 0 {
		o.GroupBytes = DefaultGroupBytes
	}
	if p := o.Poll; p != nil {
		if p.Interval <= 0 {
			p.Interval = DefaultPollInterval
		}
		if p.Window <= 0 {
			p.Window = DefaultPollWindow
		}
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Run reads until ctx ends, then returns once its workers stopped. Work
// whose events are delivered after Run returned is committed by Commit.
func (s *Source) Run(ctx context.Context) error {
	if s.opts.Poll != nil {
		s.log.Info("s3 source started", zap.String("bucket", s.opts.Poll.Bucket),
			zap.String("key", s.opts.Poll.Prefix))
	} else {
		s.log.Info("s3 source started", zap.String("queue", s.opts.QueueURL))
	}
	work := make(chan *job)
	g, gctx := errgroup.WithContext(ctx)
	for range s.opts.Workers {
		g.Go(func() error {
			for j := range work {
				s.process(gctx, j)
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(work)
		if s.opts.Poll != nil {
			return s.pollLoop(gctx, work)
		}
		return s.receive(gctx, work)
	})
	g.Go(func() error { return s.finishLoop(gctx) })
	if s.opts.Poll == nil {
		g.Go(func() error { return s.extendLoop(gctx) })
	}
	err := g.Wait()
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		err = nil
	}
	return err
}

// Commit finishes the work delivered so far: it deletes the messages (or
// remembers the keys) whose events were all delivered, and makes the
// messages still in work visible again at once, so that they are read
// again here or by another agent. Call it after Run returned and the
// pipeline drained.
func (s *Source) Commit() error {
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	s.finish(ctx)
	if s.poll != nil {
		return s.poll.save()
	}
	s.mu.Lock()
	var left []*message
	for _, j := range s.inFlight {
		left = append(left, j.msg)
	}
	s.mu.Unlock()
	return s.changeVisibility(ctx, left, 0)
}

// committed is called by a job's tracker once every event of the job was
// delivered. It runs on a pipeline goroutine, so it only queues the job.
func (s *Source) committed(j *job) {
	s.mu.Lock()
	s.done = append(s.done, j)
	s.mu.Unlock()
	select {
	case s.doneSig <- struct{}{}:
	default:
	}
}

// finishLoop finishes delivered jobs as they come.
func (s *Source) finishLoop(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.doneSig:
			s.finish(ctx)
		}
	}
}

// finish deletes the messages of delivered jobs, or remembers their keys.
func (s *Source) finish(ctx context.Context) {
	s.mu.Lock()
	done := s.done
	s.done = nil
	s.mu.Unlock()
	if len(done) == 0 {
		return
	}
	if s.poll != nil {
		for _, j := range done {
			s.poll.markDone(j.key, j.mod)
			s.release(j)
		}
		if err := s.poll.saveEvery(time.Second); err != nil {
			s.log.Error("save poll state", zap.Error(err))
		}
		return
	}
	msgs := make([]*message, len(done))
	for i, j := range done {
		msgs[i] = j.msg
	}
	// A message whose delete failed returns to the queue and is read
	// again: it is no longer kept invisible.
	s.deleteMessages(ctx, msgs)
	for _, j := range done {
		s.release(j)
	}
}

// release forgets a job that was deleted or given up.
func (s *Source) release(j *job) {
	id := j.key
	if j.msg != nil {
		id = j.msg.receipt
	}
	s.mu.Lock()
	_, ok := s.inFlight[id]
	delete(s.inFlight, id)
	s.mu.Unlock()
	if ok && j.msg != nil {
		s.slots.Release(1)
	}
}

// firstTime reports whether a failure identified by id is new, so that
// it is logged once and counted after that.
func (s *Source) firstTime(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.logged[id] {
		return false
	}
	if len(s.logged) >= 4096 {
		clear(s.logged)
	}
	s.logged[id] = true
	return true
}

// sanitizeName makes a source name safe in a file name.
func sanitizeName(name string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 || r == ':' {
			return '_'
		}
		return r
	}, name)
}
