package motoserver

import (
	"os/exec"
	"syscall"
)

// setProcessGroup makes cmd the leader of a new process group, and has the
// kernel kill it if the test binary dies without calling Close (a test
// timeout, say), so no moto_server outlives its tests.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// killProcessGroup sends SIGKILL to every process in cmd's group.
func killProcessGroup(cmd *exec.Cmd) error {
	return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
