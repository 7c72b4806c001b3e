package agent

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
)

// health decides /healthz and /readyz from what the agent delivered.
type health struct {
	a     *Agent
	after time.Duration    // how long delivery may stall while events wait
	now   func() time.Time // the clock

	mu       sync.Mutex
	lastOut  int64     // guarded by mu: events delivered at the last look
	progress time.Time // guarded by mu: when delivery last moved, or nothing waited
	started  bool      // guarded by mu: the sources are running
}

// observe notes whether delivery moved since the last look. It runs every
// second, and on every probe.
func (h *health) observe() {
	out := h.a.pipe.Stats.EventsOut.Load()
	waiting := h.a.pipe.Stats.EventsIn.Load() - out
	h.mu.Lock()
	defer h.mu.Unlock()
	if out != h.lastOut || waiting <= 0 || h.progress.IsZero() {
		h.lastOut = out
		h.progress = h.now()
	}
}

// healthy reports whether delivery keeps up: healthy unless events have
// waited with nothing delivered for longer than the limit.
func (h *health) healthy() (bool, time.Duration) {
	h.observe()
	h.mu.Lock()
	defer h.mu.Unlock()
	stalled := h.now().Sub(h.progress)
	return stalled <= h.after, stalled
}

// ready reports whether the agent is configured and able to deliver: its
// sources run and no sink's latest attempt failed.
func (h *health) ready() (bool, string) {
	h.mu.Lock()
	started := h.started
	h.mu.Unlock()
	if !started {
		return false, "starting"
	}
	if h.a.sinks != nil {
		for _, s := range h.a.sinks.all() {
			if st := s.Status(); st.Failing {
				return false, "delivery failing: " + st.Err
			}
		}
	}
	return true, "ready"
}

// serve runs the metrics and health endpoints on addr until ctx ends. A
// port that cannot be bound is logged, not fatal: shipping logs matters
// more than reporting on it.
func (a *Agent) serve(ctx context.Context, addr string) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector{a})
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		ok, stalled := a.health.healthy()
		waiting := a.pipe.Stats.EventsIn.Load() - a.pipe.Stats.EventsOut.Load()
		writeProbe(w, ok, map[string]any{"waiting_events": waiting, "stalled_seconds": int(stalled.Seconds())})
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		ok, why := a.health.ready()
		writeProbe(w, ok, map[string]any{"reason": why})
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		a.log.Error("cannot serve metrics and health; shipping goes on", zap.String("address", addr), zap.Error(err))
		return
	}
	a.log.Info("serving metrics and health", zap.String("address", ln.Addr().String()))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				a.health.observe()
			}
		}
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		a.log.Error("metrics server stopped", zap.Error(err))
	}
}

// writeProbe answers a probe: 200 with "ok", or 503, with details.
func writeProbe(w http.ResponseWriter, ok bool, details map[string]any) {
	details["status"] = "ok"
	code := http.StatusOK
	if !ok {
		details["status"] = "failing"
		code = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(details)
}
