//go:build !linux

package journald

import "os/exec"

// setParentDeath does nothing: the journal exists only on Linux.
func setParentDeath(cmd *exec.Cmd) {}
