package demotest

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// stoppedLine is the last line of a demo that was stopped with nothing left behind.
const stoppedLine = "==> stopped: no process, port or database left running"

// demoRun is `make demo` started as a newcomer starts it, in a process group of its
// own as a terminal's foreground job, with its output going through a pipe.
type demoRun struct {
	cmd                   *exec.Cmd
	work                  string
	prodPort, stagingPort int
	out                   syncBuffer
	lines                 chan string // closed when the output ends
}

// startDemo runs `make demo 2>&1 | reader` in root. The demo starts its own
// PostgreSQL: neither DATABASE_URL nor TEST_DATABASE_URL reaches it.
func startDemo(t *testing.T, root, reader string) *demoRun {
	t.Helper()
	d := &demoRun{work: demoWork(t), prodPort: freePort(t), stagingPort: freePort(t), lines: make(chan string, 1000)}
	pipeline := "make demo 2>&1"
	if reader != "" {
		pipeline += " | " + reader + " '" + filepath.Join(t.TempDir(), "demo-output.log") + "'"
	}
	d.cmd = exec.Command("bash", "-c", pipeline)
	d.cmd.Dir = root
	for _, kv := range os.Environ() {
		switch name, _, _ := strings.Cut(kv, "="); name {
		case "DATABASE_URL", "TEST_DATABASE_URL", "DEMO_ONESHOT", "STORAGE", "LOG_LEVEL",
			"MAKEFLAGS", "MAKELEVEL", "MFLAGS": // a make of its own, not a sub-make of `make test`
		default:
			d.cmd.Env = append(d.cmd.Env, kv)
		}
	}
	d.cmd.Env = append(d.cmd.Env, "DEMO_WORK="+d.work, "DEMO_USERS=200",
		fmt.Sprintf("DEMO_PROD_PORT=%d", d.prodPort), fmt.Sprintf("DEMO_STAGING_PORT=%d", d.stagingPort))
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Not StdoutPipe: Wait would close it when the shell ends, and the demo's
	// cleanup may still be writing then.
	stdout, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	d.cmd.Stdout, d.cmd.Stderr = w, &d.out
	err = d.cmd.Start()
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Only when the test failed half-way: nothing may outlive it.
		_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		pg := filepath.Join(d.work, "pg")
		if _, err := os.Stat(filepath.Join(pg, "data", "postmaster.pid")); err == nil {
			_ = exec.Command(filepath.Join(d.work, "bin", "pgcluster"), "stop", pg).Run()
		}
	})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			d.out.WriteString(sc.Text() + "\n")
			d.lines <- sc.Text()
		}
		stdout.Close()
		close(d.lines)
	}()
	return d
}

// waitFor returns once a line of output contains s.
func (d *demoRun) waitFor(t *testing.T, s string, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case line, ok := <-d.lines:
			if !ok {
				t.Fatalf("the demo ended before it printed %q:\n%s", s, d.out.String())
			}
			if strings.Contains(line, s) {
				return
			}
		case <-deadline:
			t.Fatalf("the demo did not print %q within %s:\n%s", s, timeout, d.out.String())
		}
	}
}

// waitForProcess returns once a process whose command line mentions the demo's
// directory also mentions s: the demo has started it.
func (d *demoRun) waitForProcess(t *testing.T, s string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for _, p := range processesUnder(d.work) {
			if strings.Contains(p, s) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo did not start %q within %s:\n%s", s, timeout, d.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// endReader ends the demo's output reader before the demo gets the signal: of the
// orders in which Ctrl-C reaches the processes of a pipeline, the one in which the
// demo's cleanup writes into a pipe nobody reads any more.
func (d *demoRun) endReader(t *testing.T, name string) {
	t.Helper()
	pid := 0
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp …
		comm, rest, ok := strings.Cut(string(stat), ") ")
		f := strings.Fields(rest)
		if ok && strings.HasSuffix(comm, "("+name) && len(f) > 2 && f[2] == strconv.Itoa(d.cmd.Process.Pid) {
			pid, _ = strconv.Atoi(e.Name())
		}
	}
	if pid == 0 {
		t.Fatalf("no %s in the demo's process group", name)
	}
	if err := syscall.Kill(pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if _, rest, _ := strings.Cut(string(stat), ") "); err != nil || strings.HasPrefix(rest, "Z") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s (%d) did not end on SIGINT", name, pid)
		}
	}
}

// stop sends sig to the demo's whole process group, as Ctrl-C does, and returns once
// the group is gone and the output has ended.
func (d *demoRun) stop(t *testing.T, sig syscall.Signal, timeout time.Duration) {
	t.Helper()
	if err := syscall.Kill(-d.cmd.Process.Pid, sig); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(timeout)
	done := make(chan struct{})
	go func() {
		_ = d.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(timeout):
		t.Fatalf("the demo did not end within %s of %v:\n%s", timeout, sig, d.out.String())
	}
	// The shell that ran the pipeline may end before the demo's cleanup does.
	for syscall.Kill(-d.cmd.Process.Pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("processes of the demo's group still run %s after %v:\n%s", timeout, sig, d.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	for {
		select {
		case _, ok := <-d.lines:
			if !ok {
				return
			}
		case <-time.After(time.Until(deadline)):
			t.Errorf("the output still has a writer %s after %v", timeout, sig)
			return
		}
	}
}

// checkNothingLeft fails the test for every process, port and database server the
// demo left behind.
func (d *demoRun) checkNothingLeft(t *testing.T) {
	t.Helper()
	if left := processesUnder(d.work); len(left) > 0 {
		t.Errorf("processes left behind:\n%s", strings.Join(left, "\n"))
	}
	for _, port := range []int{d.prodPort, d.stagingPort} {
		if listening(t, port) {
			t.Errorf("a server still listens on port %d", port)
		}
	}
	pid := filepath.Join(d.work, "pg", "data", "postmaster.pid")
	if _, err := os.Stat(pid); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the demo's PostgreSQL still runs (%s: %v)", pid, err)
	}
}

// listening reports whether a socket listens on port (any address), read from
// /proc/net/tcp and tcp6. Binding the port to find out is not enough: another
// test's outgoing connection may hold it as its local port, which is no server.
func listening(t *testing.T, port int) bool {
	t.Helper()
	want := fmt.Sprintf(":%04X", port)
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fields := strings.Fields(line)
			// sl local_address rem_address st …; st 0A is LISTEN
			if len(fields) > 3 && strings.HasSuffix(fields[1], want) && fields[3] == "0A" {
				return true
			}
		}
	}
	return false
}

// TestDemoStopsCleanly stops `make demo` while it builds, while it loads demo data
// and while it serves, as a newcomer does with Ctrl-C, its output going through
// `tee`. Each time every process, both ports and the private PostgreSQL are gone
// and, where the reader survives the signal, the last line is the calm stop message
// rather than make's "Error 130". With plain `tee`, Ctrl-C ends the reader too; when
// it ends first, the demo's cleanup writes into a pipe nobody reads.
func TestDemoStopsCleanly(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs make demo five times")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make demo needs make:", err)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		at     string // the signal goes as soon as a line contains this…
		proc   string // …and a process of the demo's mentions this
		sig    syscall.Signal
		reader string // what reads the output: "tee -i" outlives Ctrl-C, "" is this test
	}{
		{"ctrl-c while building", "==> building", "go build -trimpath -o", syscall.SIGINT, "tee -i"},
		{"ctrl-c while loading demo data", "==> production: demo data", "demodata", syscall.SIGINT, "tee -i"},
		{"ctrl-c while serving", "READY", "", syscall.SIGINT, "tee -i"},
		{"ctrl-c while serving with tee ending first", "READY", "", syscall.SIGINT, "tee"},
		{"sigterm while loading demo data", "==> production: demo data", "", syscall.SIGTERM, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // each demo has its own directory, ports and PostgreSQL
			d := startDemo(t, root, tt.reader)
			d.waitFor(t, tt.at, 5*time.Minute)
			if tt.proc != "" {
				d.waitForProcess(t, tt.proc, time.Minute)
			}
			if tt.reader == "tee" {
				d.endReader(t, "tee")
			}
			d.stop(t, tt.sig, 90*time.Second)
			d.checkNothingLeft(t)
			if tt.reader == "tee" {
				return // the rest of the output went nowhere
			}
			out := d.out.String()
			if strings.Contains(out, "make: ***") {
				t.Errorf("make reports an error:\n%s", out)
			}
			lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
			if got := lines[len(lines)-1]; got != stoppedLine {
				t.Errorf("last line: got %q, want %q\n%s", got, stoppedLine, out)
			}
		})
	}
}
