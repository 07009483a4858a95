//go:build !linux

package s3test

import "os/exec"

// setProcAttr does nothing: only Linux can tie the server's life to ours.
func setProcAttr(*exec.Cmd) {}
