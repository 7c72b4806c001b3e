// Package agent wires corral together: it builds the sources, the pipeline
// and the sink from a config, runs them, and shuts them down in two
// phases so that what was read is delivered and committed.
package agent

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/corral-logs/corral/agent/config"
	"github.com/corral-logs/corral/parsers/frame"
	"github.com/corral-logs/corral/pipeline"
	"github.com/corral-logs/corral/sinks/cloudwatch"
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
	cfg     *config.Config
	log     *zap.Logger
	host    Host
	sinks   *profiles
	pipe    *pipeline.Pipeline
	sources []Source
	names   []string
}

// New builds an agent from cfg. It resolves credentials lazily: nothing
// is sent until Run.
func New(ctx context.Context, cfg *config.Config, log *zap.Logger, version string) (*Agent, error) {
	limitMemory(int64(cfg.Buffer.MaxBytes))
	if err := os.MkdirAll(cfg.StateDir, 0o750); err != nil {
		return nil, fmt.Errorf("create state_dir: %w", err)
	}
	host := DiscoverHost()
	base, err := loadAWS(ctx, cfg.AWS)
	if err != nil {
		return nil, err
	}
	// The byte budget covers request bodies in flight too: they get a
	// share, up to a third, and the events the rest.
	budget := int64(cfg.Buffer.MaxBytes)
	bodies := min(int64(cfg.CloudWatch.Concurrency)*cloudwatch.BodyReserve, budget/3)
	sinks := &profiles{
		base: base, host: host, cfg: cfg, bodies: pipeline.NewBudget(bodies),
		ua: "corral/" + version, log: log.Named("cloudwatch"), index: make(map[string]int),
	}
	pipe := pipeline.New(sinks, pipeline.Options{
		MaxBytes:      budget - bodies,
		FlushInterval: time.Duration(cfg.CloudWatch.FlushInterval),
		Concurrency:   cfg.CloudWatch.Concurrency,
	})
	a := &Agent{cfg: cfg, log: log, host: host, sinks: sinks, pipe: pipe}
	for _, sc := range cfg.Sources {
		profile, err := sinks.For(ctx, sc)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", sc.Name, err)
		}
		src, err := a.newSource(sc, profile)
		if err != nil {
			return nil, err
		}
		a.sources = append(a.sources, src)
		a.names = append(a.names, sc.Name)
	}
	return a, nil
}

// newSource builds one configured source that delivers through profile.
func (a *Agent) newSource(sc config.Source, profile int) (Source, error) {
	switch sc.Type {
	case config.SourceFile:
		return a.newFileSource(sc, profile)
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
			Route:         a.journalRoute(sc, profile),
			MaxEventBytes: a.cfg.CloudWatch.MaxEventBytes,
			Oversize:      oversize,
			NoMarkers:     !a.cfg.CloudWatch.OversizeMarker,
			StateDir:      a.cfg.StateDir,
			Pipeline:      a.pipe,
			Log:           a.log.Named("journald"),
		})
	}
	return nil, fmt.Errorf("source %s: unknown type %q", sc.Name, sc.Type)
}

// fileRoute expands a file source's templates for one path.
func (a *Agent) fileRoute(sc config.Source, profile int) func(string) pipeline.Dest {
	return func(path string) pipeline.Dest {
		lookup := func(name string) string {
			switch name {
			case "file_name":
				return filepath.Base(path)
			case "file_path":
				return path
			}
			return a.host.Lookup(name)
		}
		return pipeline.Dest{
			Group:   pipeline.SanitizeGroup(sc.GroupTemplate.Expand(lookup)),
			Stream:  pipeline.SanitizeStream(sc.StreamTemplate.Expand(lookup)),
			Profile: profile,
		}
	}
}

// journalRoute expands a journald source's templates for one entry. An
// entry without _HOSTNAME takes the agent's host name.
func (a *Agent) journalRoute(sc config.Source, profile int) func(journald.Meta) pipeline.Dest {
	return func(m journald.Meta) pipeline.Dest {
		lookup := func(name string) string {
			switch name {
			case "unit":
				return m.Unit
			case "priority":
				return m.Priority
			case "identifier":
				return m.Identifier
			case "hostname":
				if m.Hostname != "" {
					return m.Hostname
				}
			}
			return a.host.Lookup(name)
		}
		return pipeline.Dest{
			Group:   pipeline.SanitizeGroup(sc.GroupTemplate.Expand(lookup)),
			Stream:  pipeline.SanitizeStream(sc.StreamTemplate.Expand(lookup)),
			Profile: profile,
		}
	}
}

// Run runs the agent until ctx ends, then shuts down: sources stop
// reading, what was read is delivered within the shutdown timeout, and
// the positions of what was delivered are committed. What was not
// delivered by then is read again at the next start.
func (a *Agent) Run(ctx context.Context) error {
	a.log.Info("corral starting", zap.Int("sources", len(a.sources)), zap.String("state_dir", a.cfg.StateDir))

	deliver, stopDelivering := context.WithCancel(context.Background())
	defer stopDelivering()
	pipeDone := make(chan error, 1)
	go func() { pipeDone <- a.pipe.Run(deliver) }()

	g, gctx := errgroup.WithContext(ctx)
	for i, src := range a.sources {
		g.Go(func() error {
			if err := src.Run(gctx); err != nil {
				return fmt.Errorf("source %s: %w", a.names[i], err)
			}
			return nil
		})
	}
	runErr := g.Wait()

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
	if runErr != nil {
		return runErr
	}
	return pipeErr
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
