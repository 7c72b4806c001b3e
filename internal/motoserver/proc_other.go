//go:build !unix

package motoserver

import "os/exec"

// setProcessGroup does nothing where process groups do not exist.
func setProcessGroup(cmd *exec.Cmd) {}

// killProcessGroup kills only cmd's own process where process groups do not
// exist.
//
// Limitation: children of a wrapper script outlive Close on such systems.
func killProcessGroup(cmd *exec.Cmd) error {
	return cmd.Process.Kill()
}
