// Package procmem measures the peak memory of a process this program starts, as
// the tests and `make bench` report it.
//
// The figure is the process's own peak resident set (VmHWM in /proc/PID/status),
// read every few milliseconds while it runs. wait4's Maxrss is not used: on Linux
// it keeps the largest resident set a process had before its execve too, and Go
// starts a command from a vfork of the program that starts it, so Maxrss is at
// least the starting program's own size (near 100 MB for a -race test binary late
// in its run), whatever the command used.
package procmem

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// interval is how often a running command is looked at.
const interval = 5 * time.Millisecond

// Run runs cmd and returns the largest peak resident set, in bytes, of the
// process and of its children (pg_dump -j's workers), never their sum.
func Run(cmd *exec.Cmd) (int64, error) {
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	done := make(chan struct{})
	peak := make(chan int64, 1)
	go func() {
		var top int64
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			top = max(top, familyPeak(cmd.Process.Pid))
			select {
			case <-done:
				peak <- top
				return
			case <-tick.C:
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	top := <-peak
	if err == nil && top == 0 {
		err = fmt.Errorf("no VmHWM read from /proc/%d/status", cmd.Process.Pid)
	}
	return top, err
}

// familyPeak is the largest peak resident set of a live process and its
// children; 0 once it has ended.
func familyPeak(pid int) int64 {
	top, _ := Peak(pid)
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return top
	}
	for _, f := range strings.Fields(string(b)) {
		if child, err := strconv.Atoi(f); err == nil {
			if n, err := Peak(child); err == nil {
				top = max(top, n)
			}
		}
	}
	return top
}

// Peak reads a live process's peak resident set size in bytes.
func Peak(pid int) (int64, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}
