// Command corral-bench measures the corral binary shipping logs to a fast
// local fake of CloudWatch Logs (internal/cwltest) that checks every
// request against the service's rules. It runs each scenario, counts every
// event by its sequence number, and prints one table row per scenario:
// throughput, CPU, peak memory, requests, and what was lost, duplicated or
// refused.
//
// It exits 1 when an event was lost or corrupted, a request was invalid or
// corral failed: those are correctness failures. It never judges speed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// options are the command's flags.
type options struct {
	corral     string        // the corral binary
	cpuProfile string        // passed to corral as --cpuprofile, if set
	memProfile string        // passed to corral as --memprofile, if set
	limit      time.Duration // longest a scenario may take to deliver
	runs       int           // runs of each short scenario; 0 means its own count
}

func main() {
	var opts options
	flag.StringVar(&opts.corral, "corral", "bin/corral", "the corral binary to measure")
	flag.StringVar(&opts.cpuProfile, "cpuprofile", "",
		"have corral write a CPU profile of its run to this file")
	flag.StringVar(&opts.memProfile, "memprofile", "",
		"have corral write a heap profile at exit to this file")
	flag.DurationVar(&opts.limit, "limit", 5*time.Minute,
		"longest a scenario may take to deliver everything")
	flag.IntVar(&opts.runs, "runs", 0,
		"runs of each backlog scenario, of which the table shows the median, "+
			"the faster middle one of an even count (default 3; the others run once)")
	only := flag.String("scenario", "", "run only the scenario of this name (default: all): "+scenarioNames())
	flag.Parse()
	if opts.runs < 0 {
		fmt.Fprintln(os.Stderr, "corral-bench: -runs must be 1 or more (0 for the default)")
		os.Exit(2)
	}

	if err := run(opts, *only); err != nil {
		fmt.Fprintln(os.Stderr, "corral-bench:", err)
		os.Exit(1)
	}
}

// errFailed reports that a scenario's delivery was wrong; the table says how.
var errFailed = errors.New("correctness failure: see the table")

func run(opts options, only string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	selected, err := selectScenarios(only)
	if err != nil {
		return err
	}
	if opts.corral, err = filepath.Abs(opts.corral); err != nil {
		return err
	}
	if _, err := os.Stat(opts.corral); err != nil {
		return fmt.Errorf("corral binary: %w (run `make build`)", err)
	}
	printMachine(os.Stdout, opts.corral)
	fmt.Printf("speed:   gzip level 1 of the bench's lines at %.0f MB per CPU-second before the scenarios\n",
		machineSpeed())

	var results []result
	for _, sc := range selected {
		r, err := runScenario(ctx, opts, sc, len(selected) > 1)
		if err != nil {
			return fmt.Errorf("scenario %s: %w", sc.name, err)
		}
		results = append(results, r)
	}

	fmt.Println()
	printTable(os.Stdout, results)
	fmt.Printf("\nspeed:   gzip level 1 of the bench's lines at %.0f MB per CPU-second after the scenarios:\n"+
		"  a machine that ran slower or faster in between makes every CPU figure drift with it\n",
		machineSpeed())
	failed := false
	for _, r := range results {
		if r.failed() {
			printFailure(os.Stdout, r)
			failed = true
		}
	}
	if failed {
		return errFailed
	}
	return nil
}

// runScenario runs sc as many times as it asks for (opts.runs, when set,
// for a scenario of several runs) and returns the run of median speed, or
// the first that failed. A short scenario's CPU figures move by a tenth
// from one run to the next on a virtual machine, so one run says little.
func runScenario(ctx context.Context, opts options, sc scenario, several bool) (result, error) {
	n := max(sc.runs, 1)
	if opts.runs > 0 && n > 1 {
		n = opts.runs
	}
	var runs []result
	for i := range n {
		h, err := newHarness(opts, sc.name, several)
		if err != nil {
			return result{}, err
		}
		if n > 1 {
			fmt.Fprintf(os.Stderr, "scenario %s (run %d of %d): %s\n", sc.name, i+1, n, sc.about)
		} else {
			fmt.Fprintf(os.Stderr, "scenario %s: %s\n", sc.name, sc.about)
		}
		r, err := sc.run(ctx, h)
		h.close()
		if err != nil {
			return result{}, err
		}
		if r.failed() || r.notRun != "" {
			return r, nil
		}
		runs = append(runs, r)
	}
	return median(runs), nil
}

// scenarioNames lists the scenarios' names, for -scenario's help.
func scenarioNames() string {
	names := make([]string, len(scenarios))
	for i, sc := range scenarios {
		names[i] = sc.name
	}
	return strings.Join(names, ", ")
}

// selectScenarios returns every scenario, or the one named only.
func selectScenarios(only string) ([]scenario, error) {
	if only == "" {
		return scenarios, nil
	}
	for _, sc := range scenarios {
		if sc.name == only {
			return []scenario{sc}, nil
		}
	}
	return nil, fmt.Errorf("no scenario %q; there are: %s", only, scenarioNames())
}
