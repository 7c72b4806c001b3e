package main

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/corral-logs/corral/internal/cwltest"
)

// result is what one scenario measured.
type result struct {
	scenario   string
	notRun     string        // why the scenario did not run, or ""
	want       int           // events written
	events     int64         // distinct events delivered intact
	bytes      int64         // their message bytes
	wall       time.Duration // from starting corral to the last new event accepted
	cpu        time.Duration // corral's user and system time, whole run
	window     time.Duration // from the start of writing (or of corral) to the last event
	windowCPU  time.Duration // corral's CPU time in the window, from /proc
	fakeCPU    time.Duration // the bench's own (the fake's) in the same time
	maxRSS     int64         // corral's peak resident set, bytes; see process.maxRSS
	p50, p99   time.Duration // delay from writing a line to its acceptance; -1 if not timed
	resume     time.Duration // from the endpoint's recovery to the first acceptance; -1 if none
	peakFDs    int           // corral's descriptors, sampled
	peakFiles  int           // of them, files read
	maxOpen    int           // the scenario's max_open_files, or 0 for the default
	requests   int           // PutLogEvents requests, whatever their answer
	accepted   int           // of them, answered 200
	wireBytes  int64         // bodies of the accepted ones as sent
	bodyBytes  int64         // the same bodies decoded: the JSON
	duplicated int64         // deliveries beyond the first
	corrupt    int64         // events that match no line written
	violations []string      // requests the service would refuse
	problems   []string      // how corral's run went wrong
	logTail    []string      // the end of corral's log, when it went wrong
	// others: the scenario's other runs, when it ran several times; the
	// fields above are of its median run.
	others []result
}

// lost is how many written lines were not delivered intact.
func (r result) lost() int64 { return int64(r.want) - r.events }

// failed reports a correctness failure; speed is never one.
func (r result) failed() bool {
	if r.notRun != "" {
		return false
	}
	return r.lost() > 0 || r.corrupt > 0 || len(r.violations) > 0 || len(r.problems) > 0
}

// median returns the run of median speed (events per CPU-second) among
// runs, with the others attached.
func median(runs []result) result {
	slices.SortFunc(runs, func(a, b result) int { return cmp.Compare(a.perCPU(), b.perCPU()) })
	m := len(runs) / 2
	r := runs[m]
	r.others = slices.Delete(slices.Clone(runs), m, m+1)
	return r
}

// perCPU is the run's events per CPU-second.
func (r result) perCPU() float64 { return per(float64(r.events), r.cpu.Seconds()) }

// result collects the measures of a finished run.
func (h *harness) result(t *tracker, fake *cwltest.Server, p *process, start time.Time) result {
	r := result{
		scenario:   h.name,
		want:       len(t.seen),
		events:     t.distinct.Load(),
		bytes:      t.bytes.Load(),
		duplicated: t.extra.Load(),
		corrupt:    t.corrupt.Load(),
		violations: fake.Violations(),
		resume:     t.resumeDelay(),
	}
	r.p50, r.p99 = t.delayQuantiles()
	if last := t.lastNew(); !last.IsZero() {
		r.wall = last.Sub(start)
	}
	for _, req := range fake.Requests() {
		r.requests++
		if req.Status == http.StatusOK {
			r.accepted++
			r.wireBytes += int64(req.WireBytes)
			r.bodyBytes += int64(req.BodyBytes)
		}
	}
	if ru, ok := p.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		r.maxRSS = p.maxRSS(ru)
	} else {
		r.problems = append(r.problems, "no resource usage for corral on this system")
	}
	return r
}

// printMachine prints what the numbers were measured on.
func printMachine(w io.Writer, corral string) {
	version := "unknown"
	if out, err := exec.Command(corral, "version").Output(); err == nil {
		version = strings.TrimSpace(string(out))
	}
	fmt.Fprintf(w, "machine: %d CPUs, %s, %s/%s, load average %s at start\n",
		runtime.NumCPU(), cpuModel(), runtime.GOOS, runtime.GOARCH, loadAverage())
	fmt.Fprintf(w, "go:      %s (the bench's; make build uses the same)\n", runtime.Version())
	fmt.Fprintf(w, "corral:  %s (%s)\n", version, corral)
	fmt.Fprintln(w, "fake:    internal/cwltest, in the bench's process; checks every request")
}

// cpuModel returns the first model name in /proc/cpuinfo.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// loadAverage returns the 1, 5 and 15 minute load averages: other work on
// the machine slows the wall-clock numbers down, not the CPU ones.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if fields := strings.Fields(string(data)); err == nil && len(fields) >= 3 {
		return strings.Join(fields[:3], " ")
	}
	return "unknown"
}

// printTable prints one row per result, then a row of details each.
func printTable(w io.Writer, results []result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tevents\tevents/s\tMB/s\tCPU s\tevents/CPU-s\tCPU %\tpeak RSS MiB\t"+
		"delay p50\tdelay p99\tlost\tdup\twire B/event\tJSON B/event\t")
	for _, r := range results {
		if r.notRun != "" {
			fmt.Fprintf(tw, "%s\tnot run: %s\t\t\t\t\t\t\t\t\t\t\t\t\t\n", r.scenario, r.notRun)
			continue
		}
		wall, cpu := r.wall.Seconds(), r.cpu.Seconds()
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.1f\t%.2f\t%.0f\t%.1f\t%.1f\t%s\t%s\t%d\t%d\t%.1f\t%.1f\t\n",
			r.scenario, r.events, per(float64(r.events), wall), per(float64(r.bytes)/1e6, wall),
			cpu, r.perCPU(), 100*per(r.windowCPU.Seconds(), r.window.Seconds()),
			float64(r.maxRSS)/(1<<20), seconds(r.p50), seconds(r.p99), r.lost(), r.duplicated,
			per(float64(r.wireBytes), float64(r.events)), per(float64(r.bodyBytes), float64(r.events)))
	}
	tw.Flush()
	for _, r := range results {
		if len(r.others) > 0 {
			printRuns(w, r)
		}
	}

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\twall s\twindow s\trequests\taccepted\tpeak fds\tpeak files\tmax_open_files\t"+
		"resumed after\tcorrupt\tviolations\tfake CPU s\t")
	for _, r := range results {
		if r.notRun != "" {
			continue
		}
		limit := "default"
		if r.maxOpen > 0 {
			limit = fmt.Sprint(r.maxOpen)
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%d\t%d\t%d\t%d\t%s\t%s\t%d\t%d\t%.2f\t\n",
			r.scenario, r.wall.Seconds(), r.window.Seconds(), r.requests, r.accepted, r.peakFDs, r.peakFiles, limit,
			seconds(r.resume), r.corrupt, len(r.violations), r.fakeCPU.Seconds())
	}
	tw.Flush()
	fmt.Fprint(w, `
events/s, MB/s: distinct events and their message bytes (10^6) over wall, the start of corral to
  the last new event accepted; for live scenarios the writer's rate bounds them.
CPU s: corral's whole run (rusage), start-up and shutdown included; events/CPU-s divides by it.
CPU %: corral's CPU time over the window (writing start, or corral's start, to the last event),
  in % of one core, from /proc in 10 ms ticks.
peak RSS: corral's (rusage, or /proc before SIGTERM). delay: from a line's write to its acceptance
  by the fake, over lines written while corral ran; flush_interval is `+flushInterval.String()+`.
wire B/event: accepted PutLogEvents bodies as sent (gzip unless it did not shrink them); JSON
  B/event: the same bodies decoded; both per event delivered. requests: all PutLogEvents,
  refused ones too (a new stream's first request is refused until corral creates the stream).
peak fds, peak files: corral's descriptors, and those of files read, sampled every 50 ms.
resumed after: from the endpoint's return after an outage to the first event accepted.
fake CPU: the bench process (the fake and the counting) while corral ran, on the same CPUs.
`)
}

// printRuns says how the runs of a scenario run several times spread: the
// table's row is the median one.
func printRuns(w io.Writer, r result) {
	all := append([]result{r}, r.others...)
	slices.SortFunc(all, func(a, b result) int { return cmp.Compare(a.perCPU(), b.perCPU()) })
	speeds := make([]string, len(all))
	lowRSS, highRSS := all[0].maxRSS, all[0].maxRSS
	for i, a := range all {
		speeds[i] = fmt.Sprintf("%.0f", a.perCPU())
		lowRSS, highRSS = min(lowRSS, a.maxRSS), max(highRSS, a.maxRSS)
	}
	fmt.Fprintf(w, "%s: %d runs, the median shown; events/CPU-s %s; peak RSS %.1f to %.1f MiB\n",
		r.scenario, len(all), strings.Join(speeds, ", "), float64(lowRSS)/(1<<20), float64(highRSS)/(1<<20))
}

// seconds formats d in seconds with 3 decimals, or "-" when negative.
func seconds(d time.Duration) string {
	if d < 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", d.Seconds())
}

// per returns a/b, or 0 when b is 0.
func per(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// printFailure says what went wrong in r.
func printFailure(w io.Writer, r result) {
	fmt.Fprintf(w, "\nFAIL %s: %d lost, %d corrupt, %d invalid requests\n",
		r.scenario, r.lost(), r.corrupt, len(r.violations))
	for _, p := range r.problems {
		fmt.Fprintf(w, "  %s\n", p)
	}
	const most = 10
	for i, v := range r.violations {
		if i == most {
			fmt.Fprintf(w, "  ... and %d more violations\n", len(r.violations)-most)
			break
		}
		fmt.Fprintf(w, "  violation: %s\n", v)
	}
	if len(r.logTail) > 0 {
		fmt.Fprintln(w, "  end of corral's log:")
		for _, l := range r.logTail {
			fmt.Fprintf(w, "    %s\n", l)
		}
	}
}
