package main_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// runPeakRSS runs c and returns its peak resident set size in bytes, read from
// /proc/PID/status (VmHWM) every few milliseconds while it runs.
//
// wait4's Maxrss is not used: on Linux it keeps the largest resident set the
// process had before its execve too, and Go starts a command from a vfork of
// the test process, so Maxrss is at least the test binary's own size (near
// 100 MB for a -race test binary late in its run), whatever the worker used.
// VmHWM belongs to the worker's own address space, which begins at its exec.
func runPeakRSS(c *exec.Cmd) (int64, error) {
	if err := c.Start(); err != nil {
		return 0, err
	}
	done := make(chan struct{})
	peak := make(chan int64, 1)
	go func() {
		var top int64
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			if n, err := vmHWM(c.Process.Pid); err == nil && n > top {
				top = n
			}
			select {
			case <-done:
				peak <- top
				return
			case <-tick.C:
			}
		}
	}()
	err := c.Wait()
	close(done)
	top := <-peak
	if err == nil && top == 0 {
		err = fmt.Errorf("no VmHWM read from /proc/%d/status", c.Process.Pid)
	}
	return top, err
}

// vmHWM reads a live process's peak resident set size in bytes.
func vmHWM(pid int) (int64, error) {
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
