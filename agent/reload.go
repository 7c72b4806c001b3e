package agent

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/corral-logs/corral/agent/config"
	"github.com/corral-logs/corral/parsers/redact"
)

// Reload hands a new, valid config to the running agent: sources that
// were added start, sources that were removed stop once what they read
// was delivered and committed, sources that changed do both, and the
// others keep running where they are. Settings outside sources, redact
// and labels take effect at the next start; Reload says which. It
// returns once the agent took the config, or when ctx ends.
func (a *Agent) Reload(ctx context.Context, next *config.Config) error {
	select {
	case a.reloads <- next:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// restartOnly are the config sections that a reload does not apply.
var restartOnly = []string{"StateDir", "ShutdownTimeout", "Log", "AWS", "Buffer", "CloudWatch", "Enrich", "Server"}

// reload applies next; it runs on Run's goroutine.
func (a *Agent) reload(ctx context.Context, next *config.Config, failed chan<- error) {
	cur, nxt := reflect.ValueOf(a.cfg).Elem(), reflect.ValueOf(next).Elem()
	for _, name := range restartOnly {
		if !reflect.DeepEqual(cur.FieldByName(name).Interface(), nxt.FieldByName(name).Interface()) {
			f, _ := cur.Type().FieldByName(name)
			key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			a.log.Warn("config reload: this section changed and applies at the next start",
				zap.String("section", key))
		}
	}
	red := a.redactor
	everything := !reflect.DeepEqual(a.cfg.Redact, next.Redact) || !reflect.DeepEqual(a.cfg.Labels, next.Labels)
	if !reflect.DeepEqual(a.cfg.Redact, next.Redact) {
		r, err := redact.New(next.Redact.Disable, userRules(next.Redact.Rules))
		if err != nil {
			a.log.Error("config reload refused; the running config stays", zap.Error(err))
			return
		}
		red = r
	}

	// Which sources stop, and which start.
	old := make(map[string]config.Source)
	for _, sc := range a.cfg.Sources {
		old[sc.Name] = sc
	}
	want := make(map[string]bool)
	var starts []config.Source
	for _, sc := range next.Sources {
		want[sc.Name] = true
		if prev, ok := old[sc.Name]; !ok || everything || !reflect.DeepEqual(prev, sc) {
			starts = append(starts, sc)
		}
	}
	var stops []string
	for _, sc := range a.cfg.Sources {
		if !want[sc.Name] || contains(starts, sc.Name) {
			stops = append(stops, sc.Name)
		}
	}

	// Stop what goes away or changes, then build and start the new: a
	// source reads its checkpoint when it is built, so the one it replaces
	// must have saved its own first. A source that cannot be built is
	// logged and, if it replaced one, the old one comes back.
	cfg := *a.cfg
	cfg.Sources, cfg.Redact, cfg.Labels = slices.Clone(next.Sources), next.Redact, next.Labels
	prevCfg, prevRed := a.cfg, a.redactor
	for _, name := range stops {
		a.stop(name)
	}
	a.mu.Lock()
	a.cfg, a.redactor = &cfg, red
	a.mu.Unlock()
	started := 0
	for _, sc := range starts {
		src, err := a.build(ctx, sc)
		if err != nil {
			a.log.Error("config reload: source not started", zap.String("source", sc.Name), zap.Error(err))
			prev, ok := old[sc.Name]
			if !ok {
				cfg.Sources = slices.DeleteFunc(cfg.Sources, func(s config.Source) bool { return s.Name == sc.Name })
				continue
			}
			a.mu.Lock()
			a.cfg, a.redactor = prevCfg, prevRed
			a.mu.Unlock()
			src, err = a.build(ctx, prev)
			a.mu.Lock()
			a.cfg, a.redactor = &cfg, red
			a.mu.Unlock()
			if err != nil {
				a.log.Error("config reload: source stopped", zap.String("source", sc.Name), zap.Error(err))
				continue
			}
			replaceSource(cfg.Sources, prev) // what runs is what the config says
		}
		a.mu.Lock()
		a.sources = append(a.sources, src)
		a.names = append(a.names, sc.Name)
		a.running[sc.Name] = a.start(ctx, sc.Name, src, failed)
		a.mu.Unlock()
		started++
	}
	a.log.Info("config reloaded", zap.Int("sources", len(next.Sources)),
		zap.Int("started", started), zap.Int("stopped", len(stops)), zap.Strings("stopped_sources", stops),
		zap.Strings("started_sources", names(starts)))
}

// build makes the source sc describes.
func (a *Agent) build(ctx context.Context, sc config.Source) (Source, error) {
	profile := 0
	if a.sinks != nil {
		var err error
		if profile, err = a.sinks.For(ctx, sc); err != nil {
			return nil, err
		}
	}
	return a.newSource(ctx, sc, profile)
}

// stop stops a running source: it stops reading, what it read is
// delivered (within the shutdown timeout), and its positions are
// committed. What was not delivered by then is read again when the
// source starts again.
func (a *Agent) stop(name string) {
	a.mu.Lock()
	r := a.running[name]
	i := index(a.names, name)
	a.mu.Unlock()
	if r == nil || i < 0 {
		return
	}
	r.cancel()
	<-r.done

	st := a.pipe.Source(name)
	deadline := time.Now().Add(time.Duration(a.cfg.ShutdownTimeout))
	for st.Events.Load() > st.Done.Load() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := a.sources[i].Commit(); err != nil {
		a.log.Error("save checkpoints", zap.String("source", name), zap.Error(err))
	}

	a.mu.Lock()
	delete(a.running, name)
	a.sources = append(a.sources[:i:i], a.sources[i+1:]...)
	a.names = append(a.names[:i:i], a.names[i+1:]...)
	delete(a.procStats, name)
	a.mu.Unlock()
}

// names returns the sources' names.
func names(sources []config.Source) []string {
	out := make([]string, len(sources))
	for i, sc := range sources {
		out[i] = sc.Name
	}
	return out
}

// replaceSource puts sc in place of the source of its name.
func replaceSource(sources []config.Source, sc config.Source) {
	for i := range sources {
		if sources[i].Name == sc.Name {
			sources[i] = sc
		}
	}
}

func index(names []string, name string) int { return slices.Index(names, name) }

func contains(sources []config.Source, name string) bool {
	return slices.ContainsFunc(sources, func(sc config.Source) bool { return sc.Name == name })
}
