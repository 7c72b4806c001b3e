// Command corral ships logs to Amazon CloudWatch Logs. See the README for
// what it reads and how to configure it.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"syscall"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/corral-logs/corral/agent"
	"github.com/corral-logs/corral/agent/config"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// exitUsage is the exit status for a bad config or bad flags.
const exitUsage = 2

func main() {
	if err := root().Execute(); err != nil {
		var ec exitCode
		if errors.As(err, &ec) {
			os.Exit(int(ec))
		}
		os.Exit(1)
	}
}

// exitCode ends the program with a status after its message was printed.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func root() *cobra.Command {
	cmd := &cobra.Command{
		Use:           "corral",
		Short:         "Ship logs to Amazon CloudWatch Logs",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.AddCommand(runCmd(), validateCmd(), doctorCmd(), versionCmd())
	return cmd
}

func runCmd() *cobra.Command {
	var path, cpuProfile, memProfile string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the agent in the foreground until SIGTERM or SIGINT",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, path)
			if err != nil {
				return err
			}
			log, err := agent.NewLogger(cfg.Log)
			if err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), err)
				return exitCode(exitUsage)
			}
			defer log.Sync()

			stopProfiles, err := startProfiles(cpuProfile, memProfile)
			if err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "corral:", err)
				return exitCode(1)
			}
			defer func() {
				if err := stopProfiles(); err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), "corral:", err)
				}
			}()

			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP) // before anything can send one: its default ends the process
			defer signal.Stop(hup)
			opts := agent.Options{Version: version}
			if dryRun {
				opts.DryRun = cmd.OutOrStdout()
			}
			a, err := agent.New(ctx, cfg, log, opts)
			if err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "corral:", err)
				return exitCode(1)
			}
			go reloadOnHUP(ctx, hup, path, a, log)
			if err := a.Run(ctx); err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "corral:", err)
				return exitCode(1)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&path, "config", "c", config.DefaultPath, "config file")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false,
		"print the events that would be shipped to stdout instead of sending them (no AWS needed)")
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file")
	cmd.Flags().StringVar(&memProfile, "memprofile", "", "write a heap profile to this file at exit")
	_ = cmd.Flags().MarkHidden("cpuprofile") // for developers: make bench
	_ = cmd.Flags().MarkHidden("memprofile")
	return cmd
}

// reloadOnHUP reads the config file again at each SIGHUP and hands it to
// the agent; a config with problems is refused, with every problem, and
// the running one stays.
func reloadOnHUP(ctx context.Context, hup <-chan os.Signal, path string, a *agent.Agent, log *zap.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		cfg, err := config.Load(path)
		if err != nil {
			log.Error("config reload refused; the running config stays", zap.String("path", path), zap.Error(err))
			continue
		}
		log.Info("reloading config", zap.String("path", path))
		if err := a.Reload(ctx, cfg); err != nil {
			return
		}
	}
}

// startProfiles starts a CPU profile into cpu, if not empty, and returns a
// function that stops it and writes a heap profile into mem, if not empty.
func startProfiles(cpu, mem string) (stop func() error, err error) {
	stopCPU := func() error { return nil }
	if cpu != "" {
		f, err := os.Create(cpu)
		if err != nil {
			return nil, fmt.Errorf("create CPU profile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("start CPU profile: %w", err)
		}
		stopCPU = func() error {
			pprof.StopCPUProfile()
			return f.Close()
		}
	}
	return func() error {
		err := stopCPU()
		if mem == "" {
			return err
		}
		f, ferr := os.Create(mem)
		if ferr != nil {
			return errors.Join(err, fmt.Errorf("create heap profile: %w", ferr))
		}
		runtime.GC() // the profile shows the heap as of the last collection
		return errors.Join(err, pprof.WriteHeapProfile(f), f.Close())
	}, nil
}

func validateCmd() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check a config file and print every problem in it",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := loadConfig(cmd, path); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: ok\n", path)
			return nil
		},
	}
	cmd.Flags().StringVarP(&path, "config", "c", config.DefaultPath, "config file")
	return cmd
}

func versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Run: func(cmd *cobra.Command, _ []string) {
			v := version
			if info, ok := debug.ReadBuildInfo(); ok && v == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
				v = info.Main.Version
			}
			fmt.Fprintf(cmd.OutOrStdout(), "corral %s\n", v)
		},
	}
}

// loadConfig loads the config at path, printing every problem on failure.
func loadConfig(cmd *cobra.Command, path string) (*config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		fmt.Fprintln(cmd.ErrOrStderr(), err)
		return nil, exitCode(exitUsage)
	}
	return cfg, nil
}
