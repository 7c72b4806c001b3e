// Package doctor checks whether corral can run with a config on this host:
// whose credentials it has, whether it can assume its role in the logs
// account and reach its log groups, whether it can read its files and the
// journal, and whether inotify, the clock and the instance metadata
// service are in order. Each check gives one Result saying what was found
// and, when something is wrong, what to do.
//
// Checks only read, except one: a missing log group is created, with the
// settings corral would give it at its first event.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/corral-logs/corral/agent/config"
)

// Status is the outcome of a check.
type Status int

// Statuses, from best to worst.
const (
	// OK means the check passed.
	OK Status = iota
	// Skip means the check could not run, because an earlier one failed
	// or it does not apply here. It does not fail doctor.
	Skip
	// Warn means corral runs, but not as well as it could.
	Warn
	// Fail means corral will not work as configured.
	Fail
)

// String returns the status as doctor prints it.
func (s Status) String() string {
	switch s {
	case OK:
		return "ok"
	case Skip:
		return "skip"
	case Warn:
		return "warn"
	case Fail:
		return "FAIL"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Result is the outcome of one check.
type Result struct {
	// Name is what was checked: config, credentials, role, log group,
	// path, journal, inotify, clock or imds.
	Name   string
	Status Status
	// Detail is what was found.
	Detail string
	// Advice is what to do; empty when the status is OK.
	Advice string
}

// String formats r as doctor prints it: "FAIL  role: detail — advice".
func (r Result) String() string {
	s := fmt.Sprintf("%-4s  %s: %s", r.Status, r.Name, r.Detail)
	if r.Advice != "" {
		s += " — " + r.Advice
	}
	return s
}

// Options tune Run. The zero value checks this host.
type Options struct {
	// Timeout bounds each network step. Default DefaultTimeout.
	Timeout time.Duration
	// IMDSTimeout bounds the instance metadata probe. Default 1s.
	IMDSTimeout time.Duration
	// Report, when set, receives each result as soon as it is known, in
	// the order Run returns them.
	Report func(Result)

	// What follows stands in for the host in tests.

	// Getenv reads the environment. Default os.Getenv.
	Getenv func(string) string
	// Now is the clock compared with AWS's. Default time.Now.
	Now func() time.Time
	// Root is where /proc, /sys and /.dockerenv are looked for. Default /.
	Root string
	// Journalctl is the journalctl command. Default "journalctl" on the
	// PATH.
	Journalctl string
	// HTTPClient makes the instance metadata request. Default a client
	// without proxy and keep-alive.
	HTTPClient *http.Client
}

// DefaultTimeout bounds each network step: long enough for a slow link to
// STS or CloudWatch Logs, short enough that doctor never seems to hang.
const DefaultTimeout = 5 * time.Second

func (o *Options) defaults() {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.IMDSTimeout <= 0 {
		o.IMDSTimeout = time.Second
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Root == "" {
		o.Root = "/"
	}
	if o.Journalctl == "" {
		o.Journalctl = "journalctl"
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	}
}

// Config loads the config at path like corral run does. It returns the
// config and an OK result, or a Fail result and the load error. When the
// file cannot be read, the result's detail is that error and its advice is
// about the path; when the config has problems, the detail gives their
// count, and the error (a config.Errors) lists them as corral validate
// prints them.
func Config(path string) (*config.Config, Result, error) {
	cfg, err := config.Load(path)
	if err != nil {
		res := Result{Name: "config", Status: Fail, Detail: fmt.Sprintf("%s: %v", path, err),
			Advice: "check the path given with --config (default " + config.DefaultPath + "), " +
				"and that this user can read it"}
		var problems config.Errors
		if !errors.As(err, &problems) {
			return nil, res, err
		}
		n := len(problems)
		res.Detail = fmt.Sprintf("%s: %d %s", path, n, plural(n, "problem", "problems"))
		res.Advice = "fix the config (corral validate prints the same problems)"
		return nil, res, err
	}
	n := len(cfg.Sources)
	return cfg, Result{Name: "config", Status: OK,
		Detail: fmt.Sprintf("%s: valid, %d %s", path, n, plural(n, "source", "sources"))}, nil
}

// Run checks cfg on this host and returns one result per check, in this
// order: credentials, roles, log groups, paths and journals, inotify,
// clock, instance metadata. Each network step is bounded by
// opts.Timeout, so Run returns within a few seconds per step.
func Run(ctx context.Context, cfg *config.Config, opts Options) []Result {
	opts.defaults()
	r := &run{cfg: cfg, opts: opts}
	r.checkAWS(ctx)
	r.checkSources(ctx)
	r.checkInotify()
	r.checkClock(ctx)
	r.checkIMDS(ctx)
	return r.results
}

// run is the state of one Run: what later checks learn from earlier ones.
type run struct {
	cfg     *config.Config
	opts    Options
	results []Result

	aws   awsState
	files fileState
}

// add records a result and reports it.
func (r *run) add(res Result) {
	r.results = append(r.results, res)
	if r.opts.Report != nil {
		r.opts.Report(res)
	}
}

// Failed reports whether any result failed.
func Failed(results []Result) bool {
	for _, res := range results {
		if res.Status == Fail {
			return true
		}
	}
	return false
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
