package journald

import (
	"os/exec"
	"syscall"
)

// setParentDeath has the kernel kill journalctl when the agent dies
// without stopping it (kill -9), so no reader outlives the agent.
func setParentDeath(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
