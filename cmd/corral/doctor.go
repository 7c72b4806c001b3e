package main

import (
	"context"
	"errors"
	"fmt"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/corral-logs/corral/agent/config"
	"github.com/corral-logs/corral/agent/doctor"
)

func doctorCmd() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check that corral can run here with a config, and say what to fix",
		Long: `Check, one line each: the config; the host's AWS credentials and whose they
are; the role in the logs account; the log groups (a missing one is created,
as corral would at its first event); every path pattern and journal; the
inotify limits; the clock against AWS's; the instance metadata service.

Exit status 0 when nothing failed (warnings allowed), 1 when a check failed,
2 when the config is invalid or cannot be read. Run it as the user corral
runs as.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			cfg, res, err := doctor.Config(path)
			fmt.Fprintln(out, res)
			if err != nil {
				// The FAIL line holds a read error whole; a config's
				// problems follow it, one line each.
				var problems config.Errors
				if errors.As(err, &problems) {
					fmt.Fprintln(cmd.ErrOrStderr(), err)
				}
				return exitCode(exitUsage)
			}
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			results := doctor.Run(ctx, cfg, doctor.Options{
				Report: func(r doctor.Result) { fmt.Fprintln(out, r) },
			})
			if doctor.Failed(results) {
				return exitCode(1)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&path, "config", "c", config.DefaultPath, "config file")
	return cmd
}
