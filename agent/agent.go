// Package agent wires corral together: it builds the sources, the pipeline
// and the sink from a config, runs them, and shuts them down in two
// phases so that what was read is delivered and committed.
package agent

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"go.uber.org/zap"

	"github.com/corral-logs/corral/agent/config"
	"github.com/corral-logs/corral/agent/identity"
	"github.com/corral-logs/corral/parsers/frame"
	"github.com/corral-logs/corral/parsers/redact"
	"github.com/corral-logs/corral/pipeline"
	"github.com/corral-logs/corral/pipeline/process"
	"github.com/corral-logs/corral/sinks/cloudwatch"
	"github.com/corral-logs/corral/sinks/stdout"
	"github.com/corral-logs/corral/sources/journald"
)

// Source is a long-lived reader of one kind of input.
type Source interface {
	// Run reads until ctx ends, then returns once its readers stopped.
	Run(ctx context.Context) error
	// Commit saves the positions acknowledged so far. It is called after
	// Run returned and the pipeline drained.
	Commit() error
}

// Agent is a configured corral.
type Agent struct {
	cfg       *config.Config
	log       *zap.Logger
	host      Host
	tasks     *identity.Tasks // ECS tasks of other containers; nil outside ECS
	redactor  *redact.Redactor
	sinks     *profiles // nil in a dry run
	pipe      *pipeline.Pipeline
	sources   []Source
	names     []string
	procStats map[string]*process.Stats // by source name
	dryRun    bool
	version   string
	health    *health
	reloads   chan *config.Config

	mu      sync.Mutex          // guards sources, names, procStats, running and redactor once Run started
	running map[string]*running // by source name

	awsOnce sync.Once
	base    aws.Config // the host's AWS configuration, loaded once when needed
	baseErr error
}

// Options are how an agent runs, beyond its config.
type Options struct {
	// Version is corral's version, for the User-Agent.
	Version string
	// DryRun, when set, receives the events instead of CloudWatch Logs:
	// nothing is sent, no credentials are needed, and checkpoints live in
	// a temporary directory, so the real ones are neither read nor moved.
	DryRun io.Writer
}

// New builds an agent from cfg. It resolves credentials lazily: nothing
// is sent until Run.
func New(ctx context.Context, cfg *config.Config, log *zap.Logger, o Options) (a *Agent, err error) {
	limitMemory(int64(cfg.Buffer.MaxBytes))
	if o.DryRun != nil {
		dir, mkErr := os.MkdirTemp("", "corral-dry-run-")
		if mkErr != nil {
			return nil, fmt.Errorf("create dry-run state dir: %w", mkErr)
		}
		defer func() {
			if err != nil {
				os.RemoveAll(dir) // refused: nothing will run to remove it at the end
			}
		}()
		dry := *cfg
		dry.StateDir = dir
		dry.Server.Listen = config.ServerOff // a dry run next to a running agent must not take its port
		cfg = &dry
	}
	if err := os.MkdirAll(cfg.StateDir, 0o750); err != nil {
		return nil, fmt.Errorf("create state_dir: %w", err)
	}
	red, err := redact.New(cfg.Redact.Disable, userRules(cfg.Redact.Rules))
	if err != nil {
		return nil, fmt.Errorf("redact: %w", err)
	}
	a = &Agent{cfg: cfg, log: log, redactor: red, procStats: make(map[string]*process.Stats),
		dryRun: o.DryRun != nil, version: o.Version,
		reloads: make(chan *config.Config), running: make(map[string]*running)}
	a.health = &health{a: a, after: time.Duration(cfg.Server.UnhealthyAfter), now: time.Now}
	a.host, a.tasks = discover(ctx, cfg, log)

	// The byte budget covers request bodies in flight too: they get a
	// share, up to a third, and the events the rest.
	budget := int64(cfg.Buffer.MaxBytes)
	bodies := min(int64(cfg.CloudWatch.Concurrency)*cloudwatch.BodyReserve, budget/3)
	var sink pipeline.Sink = stdout.New(o.DryRun)
	if o.DryRun == nil {
		base, err := a.baseAWS(ctx)
		if err != nil {
			return nil, err
		}
		a.sinks = &profiles{
			base: base, host: a.host, cfg: cfg, bodies: pipeline.NewBudget(bodies),
			ua: "corral/" + o.Version, log: log.Named("cloudwatch"), index: make(map[string]int),
		}
		sink = a.sinks
	}
	a.pipe = pipeline.New(sink, pipeline.Options{
		MaxBytes:      budget - bodies,
		FlushInterval: time.Duration(cfg.CloudWatch.FlushInterval),
		Concurrency:   cfg.CloudWatch.Concurrency,
	})
	for _, sc := range cfg.Sources {
		profile := 0
		if a.sinks != nil {
			if profile, err = a.sinks.For(ctx, sc); err != nil {
				return nil, fmt.Errorf("source %s: %w", sc.Name, err)
			}
		}
		src, err := a.newSource(ctx, sc, profile)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", sc.Name, err)
		}
		a.sources = append(a.sources, src)
		a.names = append(a.names, sc.Name)
	}
	return a, nil
}

// newSource builds one configured source that delivers through profile.
func (a *Agent) newSource(ctx context.Context, sc config.Source, profile int) (Source, error) {
	proc, err := a.processing(sc)
	if err != nil {
		return nil, err
	}
	switch sc.Type {
	case config.SourceFile:
		return a.newFileSource(sc, a.fileProcess(sc, profile, proc))
	case config.SourceS3:
		return a.newS3Source(ctx, sc, profile, proc)
	case config.SourceJournald:
		oversize := frame.Split
		if sc.Oversize == config.OversizeTruncate {
			oversize = frame.Truncate
		}
		return journald.New(journald.Options{
			Name:          sc.Name,
			Directory:     sc.Directory,
			Units:         sc.Units,
			IncludeKernel: sc.IncludeKernel,
			Priority:      sc.Priority,
			Process:       a.journalProcess(sc, profile, proc),
			MaxEventBytes: a.cfg.CloudWatch.MaxEventBytes,
			Oversize:      oversize,
			NoMarkers:     !a.cfg.CloudWatch.OversizeMarker,
			StateDir:      a.cfg.StateDir,
			Pipeline:      a.pipe,
			Log:           a.log.Named("journald"),
		})
	}
	return nil, fmt.Errorf("unknown type %q", sc.Type)
}

// baseAWS loads the host's AWS configuration the first time it is
// needed: a dry run of files needs none.
func (a *Agent) baseAWS(ctx context.Context) (aws.Config, error) {
	a.awsOnce.Do(func() { a.base, a.baseErr = loadAWS(ctx, a.cfg.AWS) })
	return a.base, a.baseErr
}

// Run runs the agent until ctx ends, then shuts down: sources stop
// reading, what was read is delivered within the shutdown timeout, and
// the positions of what was delivered are committed. What was not
// delivered by then is read again at the next start. A config sent to
// Reload meanwhile replaces the sources that changed.
func (a *Agent) Run(ctx context.Context) error {
	a.log.Info("corral starting", zap.Int("sources", len(a.sources)), zap.String("state_dir", a.cfg.StateDir))

	deliver, stopDelivering := context.WithCancel(context.Background())
	defer stopDelivering()
	pipeDone := make(chan error, 1)
	go func() { pipeDone <- a.pipe.Run(deliver) }()

	if addr := a.cfg.Server.Listen; addr != config.ServerOff {
		serveCtx, stopServing := context.WithCancel(context.Background())
		defer stopServing()
		go a.serve(serveCtx, addr)
	}

	failed := make(chan error, 1)
	a.mu.Lock()
	for i, src := range a.sources {
		a.running[a.names[i]] = a.start(ctx, a.names[i], src, failed)
	}
	a.mu.Unlock()
	a.health.mu.Lock()
	a.health.started = true
	a.health.mu.Unlock()

	var runErr error
	for runErr == nil && ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case runErr = <-failed:
		case next := <-a.reloads:
			a.reload(ctx, next, failed)
		}
	}
	a.mu.Lock()
	for _, r := range a.running {
		r.cancel()
	}
	for _, r := range a.running {
		<-r.done
	}
	a.mu.Unlock()

	// Phase one: no more reading; deliver what was read, within the limit.
	timeout := time.Duration(a.cfg.ShutdownTimeout)
	a.log.Info("stopping: delivering what was read", zap.Duration("delay", timeout))
	a.pipe.CloseInput()
	deadline := time.AfterFunc(timeout, stopDelivering)
	pipeErr := <-pipeDone
	drained := deadline.Stop()

	// Phase two: commit what was delivered.
	for i, src := range a.sources {
		if err := src.Commit(); err != nil {
			a.log.Error("save checkpoints", zap.String("source", a.names[i]), zap.Error(err))
		}
	}
	undelivered := a.pipe.Stats.EventsIn.Load() - a.pipe.Stats.EventsOut.Load()
	if !drained {
		a.log.Warn("shutdown timeout reached; undelivered events will be read again at the next start",
			zap.Int64("events", undelivered))
	}
	a.log.Info("corral stopped", a.Counts().fields()...)
	if a.dryRun {
		os.RemoveAll(a.cfg.StateDir) // the dry run's own temporary checkpoints
	}
	if runErr != nil {
		return runErr
	}
	return pipeErr
}

// running is a source being run.
type running struct {
	cancel context.CancelFunc
	done   chan struct{} // closed when its Run returned
}

// start runs src until ctx ends or it is stopped. An error of its own
// goes to failed, which stops the agent.
func (a *Agent) start(ctx context.Context, name string, src Source, failed chan<- error) *running {
	ctx, cancel := context.WithCancel(ctx)
	r := &running{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		if err := src.Run(ctx); err != nil && ctx.Err() == nil {
			select {
			case failed <- fmt.Errorf("source %s: %w", name, err):
			default:
			}
		}
	}()
	return r
}

// runtimeOverhead is the Go memory the process needs beyond the byte
// budget: the runtime, read buffers, partial lines and the requests being
// encoded. With the default budget the soft limit is 46 MiB, which leaves
// room under the promised 64 MiB of RSS for the binary's own pages.
const runtimeOverhead = 14 << 20

// limitMemory sets the Go runtime's soft memory limit from the byte
// budget, so the garbage collector works harder before the process grows,
// unless the operator set GOMEMLIMIT.
func limitMemory(budget int64) {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(budget + runtimeOverhead)
	}
}
