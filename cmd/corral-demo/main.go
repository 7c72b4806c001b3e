// Command corral-demo runs corral end to end on this machine without an
// AWS account: it starts a local moto server, gives corral an identity in
// a workload account that assumes a role in a logs account, ships the
// machine's own /var/log, and prints what landed in the logs account.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/corral-logs/corral/internal/motoserver"
)

const (
	workloadAccount = "111111111111"
	logsAccount     = "222222222222"
)

func main() {
	bin := flag.String("corral", "bin/corral", "the corral binary to run")
	paths := flag.String("paths", `"/var/log/*.log", "/var/log/apt/**/*.log"`, "YAML list items of the globs to ship")
	wait := flag.Duration("wait", 90*time.Second, "longest time to wait for delivery to settle")
	flag.Parse()
	if err := run(*bin, *paths, *wait); err != nil {
		fmt.Fprintln(os.Stderr, "corral-demo:", err)
		os.Exit(1)
	}
}

func run(bin, paths string, wait time.Duration) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	fmt.Println("starting a local AWS emulator (moto) on 127.0.0.1 ...")
	moto, err := motoserver.Start(ctx)
	if errors.Is(err, motoserver.ErrNotInstalled) {
		return fmt.Errorf("%w: run `make moto` (installs moto[server] into .venv) or `pip install 'moto[server]'`", err)
	}
	if err != nil {
		return err
	}
	defer moto.Close()

	keyID, secret, err := moto.CreateAccessKey(ctx, workloadAccount, "corral-host")
	if err != nil {
		return fmt.Errorf("create the host's access key: %w", err)
	}
	work, err := os.MkdirTemp("", "corral-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	cfgPath := filepath.Join(work, "corral.yaml")
	cfg := fmt.Sprintf(`# written by corral-demo
state_dir: %s
log:
  format: console
aws:
  region: us-east-1
  endpoint_url: %s
  assume_role:
    role_arn: arn:aws:iam::%s:role/corral-shipper
    external_id: corral-demo
cloudwatch:
  log_group: /corral/{hostname}
  flush_interval: 500ms
  compression: none                    # moto answers gzip bodies with HTTP 500; CloudWatch Logs takes them
server:
  listen: 127.0.0.1:0                  # any free port: a corral already running here keeps 9880
sources:
  - type: file
    paths: [%s]
    exclude: ["*.gz", "*.xz", "*.[0-9]"]
    log_stream: "{file_path}"
`, filepath.Join(work, "state"), moto.URL, logsAccount, paths)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return err
	}
	fmt.Printf("running %s run --config %s\n  as an identity of account %s, assuming a role in the logs account %s\n\n",
		bin, cfgPath, workloadAccount, logsAccount)

	cmd := exec.Command(bin, "run", "--config", cfgPath)
	cmd.Env = append(os.Environ(),
		"AWS_ACCESS_KEY_ID="+keyID, "AWS_SECRET_ACCESS_KEY="+secret,
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PROFILE=", "AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start corral: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	logs := moto.LogsClient(logsAccount)
	settleErr := settle(ctx, logs, wait, exited)
	cmd.Process.Signal(syscall.SIGTERM)
	if err := <-exited; err != nil && settleErr == nil {
		settleErr = fmt.Errorf("corral: %w", err)
	}
	if settleErr != nil {
		return settleErr
	}
	return report(ctx, moto, logs)
}

// settle waits until the logs account holds events and their number has
// not changed for a few seconds.
func settle(ctx context.Context, logs *cloudwatchlogs.Client, limit time.Duration, exited <-chan error) error {
	const quiet = 3 * time.Second
	deadline := time.Now().Add(limit)
	last, since := -1, time.Now()
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("corral exited early: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		n, err := countEvents(ctx, logs)
		if err != nil {
			continue
		}
		if n != last {
			last, since = n, time.Now()
			continue
		}
		if n > 0 && time.Since(since) >= quiet {
			return nil
		}
	}
	if last <= 0 {
		return errors.New("nothing arrived in the logs account; see corral's log above")
	}
	return nil
}

func countEvents(ctx context.Context, logs *cloudwatchlogs.Client) (int, error) {
	groups, err := motoserver.ListGroups(ctx, logs)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, g := range groups {
		streams, err := logs.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String(g)})
		if err != nil {
			return 0, err
		}
		for _, s := range streams.LogStreams {
			evs, err := motoserver.AllEvents(ctx, logs, g, aws.ToString(s.LogStreamName))
			if err != nil {
				return 0, err
			}
			n += len(evs)
		}
	}
	return n, nil
}

// report prints every group and stream of the logs account with a few
// events of each, and what the workload account holds (nothing).
func report(ctx context.Context, moto *motoserver.Server, logs *cloudwatchlogs.Client) error {
	groups, err := motoserver.ListGroups(ctx, logs)
	if err != nil {
		return err
	}
	fmt.Printf("\n=== CloudWatch Logs in the logs account %s ===\n", logsAccount)
	total := 0
	for _, g := range groups {
		out, err := logs.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String(g)})
		if err != nil {
			return err
		}
		var names []string
		for _, s := range out.LogStreams {
			names = append(names, aws.ToString(s.LogStreamName))
		}
		slices.Sort(names)
		fmt.Printf("\nlog group %s\n", g)
		for _, name := range names {
			evs, err := motoserver.AllEvents(ctx, logs, g, name)
			if err != nil {
				return err
			}
			total += len(evs)
			fmt.Printf("  stream %-40s %6d events\n", name, len(evs))
			for _, e := range evs[:min(3, len(evs))] {
				fmt.Printf("      %s\n", clip(e, 110))
			}
			if len(evs) > 3 {
				fmt.Printf("      ... %d more\n", len(evs)-3)
			}
		}
	}
	own, err := motoserver.ListGroups(ctx, moto.LogsClient(workloadAccount))
	if err != nil {
		return err
	}
	fmt.Printf("\n%d events in %s of the logs account %s; the workload account %s holds %s.\n",
		total, plural(len(groups), "log group"), logsAccount, workloadAccount, plural(len(own), "log group"))
	return nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && (s[cut]&0xC0) == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
