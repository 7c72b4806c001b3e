// Command corral ships logs to Amazon CloudWatch Logs. See the README for
// what it reads and how to configure it.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"

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
	cmd.AddCommand(runCmd(), validateCmd(), versionCmd())
	return cmd
}

func runCmd() *cobra.Command {
	var path string
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

			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			a, err := agent.New(ctx, cfg, log, version)
			if err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "corral:", err)
				return exitCode(1)
			}
			if err := a.Run(ctx); err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "corral:", err)
				return exitCode(1)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&path, "config", "c", "/etc/corral/corral.yaml", "config file")
	return cmd
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
	cmd.Flags().StringVarP(&path, "config", "c", "/etc/corral/corral.yaml", "config file")
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
