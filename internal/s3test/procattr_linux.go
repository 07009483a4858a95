package s3test

import (
	"os/exec"
	"syscall"
)

// setProcAttr has the kernel kill the server when the test binary dies without
// running its cleanups, for example on a test timeout.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
