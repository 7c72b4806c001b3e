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
	only := flag.String("scenario", "", "run only the scenario of this name (default: all)")
	flag.Parse()

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
	fmt.Printf("speed:   gzip level 1 of the bench's lines at %.0f MB per CPU-second before the scenarios\n", machineSpeed())

	var results []result
	for _, sc := range selected {
		h, err := newHarness(opts, sc.name, len(selected) > 1)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "scenario %s: %s\n", sc.name, sc.about)
		r, err := sc.run(ctx, h)
		h.close()
		if err != nil {
			return fmt.Errorf("scenario %s: %w", sc.name, err)
		}
		results = append(results, r)
	}

	fmt.Println()
	printTable(os.Stdout, results)
	fmt.Printf("\nspeed:   gzip level 1 of the bench's lines at %.0f MB per CPU-second after the scenarios:\n"+
		"  a machine that ran slower or faster in between makes every CPU figure drift with it\n", machineSpeed())
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

// selectScenarios returns every scenario, or the one named only.
func selectScenarios(only string) ([]scenario, error) {
	if only == "" {
		return scenarios, nil
	}
	var names []string
	for _, sc := range scenarios {
		if sc.name == only {
			return []scenario{sc}, nil
		}
		names = append(names, sc.name)
	}
	return nil, fmt.Errorf("no scenario %q; there are: %s", only, strings.Join(names, ", "))
}
