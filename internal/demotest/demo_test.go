// Package demotest runs `make demo`'s script the way a newcomer does and drives both
// instances over HTTP.
package demotest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wippidu/wippidu/internal/testbin"
	"github.com/wippidu/wippidu/internal/webclient"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if built.cleanup != nil {
		built.cleanup()
	}
	os.Exit(code)
}

// demoBinaries are the demo's four commands, as scripts/demo.sh builds them.
var demoBinaries = []string{"./cmd/worker", "./cmd/web", "./cmd/demodata", "./tools/pgcluster"}

// built holds the demo's four binaries, built once for the whole package
// (internal/testbin).
var built struct {
	once    sync.Once
	dir     string
	cleanup func()
	err     error
}

// demoWork returns a fresh DEMO_WORK directory whose bin/ already holds the
// demo's binaries, built by the same go build as the demo's: the demo finds
// them up to date instead of linking all four again in every run.
func demoWork(t *testing.T) string {
	t.Helper()
	built.once.Do(func() { built.dir, built.cleanup, built.err = testbin.Build(demoBinaries...) })
	if built.err != nil {
		t.Fatal(built.err)
	}
	work := t.TempDir()
	bin := filepath.Join(work, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	// Linked where they can be, not copied: the demo's go build finds them up to
	// date and leaves them as they are (and go build removes a file before
	// writing one anew). Across filesystems they are copied.
	for _, pkg := range demoBinaries {
		from, to := testbin.Path(built.dir, pkg), testbin.Path(bin, pkg)
		if os.Link(from, to) == nil {
			continue
		}
		b, err := os.ReadFile(from)
		if err == nil {
			err = os.WriteFile(to, b, 0o755)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return work
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// processesUnder lists the PIDs whose command line mentions dir.
func processesUnder(dir string) []string {
	var out []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmd, []byte(dir)) {
			out = append(out, e.Name()+": "+strings.ReplaceAll(string(cmd), "\x00", " "))
		}
	}
	return out
}

// syncBuffer collects the demo's stdout and stderr, written from two goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) WriteString(v string) {
	_, _ = s.Write([]byte(v))
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestDemoRefreshOverHTTP(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts the whole demo")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	work := demoWork(t)
	prodPort, stagingPort := freePort(t), freePort(t)
	cmd := exec.Command(filepath.Join(root, "scripts", "demo.sh"))
	cmd.Env = append(os.Environ(), "DEMO_WORK="+work, "DEMO_USERS=300",
		fmt.Sprintf("DEMO_PROD_PORT=%d", prodPort), fmt.Sprintf("DEMO_STAGING_PORT=%d", stagingPort))
	cmd.Env = append(cmd.Env, "DATABASE_URL=") // the demo starts its own PostgreSQL
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var log syncBuffer
	cmd.Stderr = &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // only if the test failed half-way
	})
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if sc.Text() == "READY" {
				ready <- true
			}
		}
		ready <- false
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatalf("demo exited before it was ready:\n%s", log.String())
		}
	case <-time.After(4 * time.Minute):
		t.Fatalf("demo not ready after 4 minutes:\n%s", log.String())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	prod := webclient.New(fmt.Sprintf("127.0.0.1:%d", prodPort), fmt.Sprintf("app.localhost:%d", prodPort))
	if err := prod.Login(ctx, "admin@wippidu.example", "wippidu"); err != nil {
		t.Fatalf("production login: %v", err)
	}
	exp, err := prod.Export(ctx, true)
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	if st, err := prod.Wait(ctx, exp.AuditID); err != nil || !st.Succeeded {
		t.Fatalf("export job: %+v, %v", st, err)
	}
	var dump bytes.Buffer
	if n, err := prod.Download(ctx, exp.AuditID, &dump); err != nil || n == 0 {
		t.Fatalf("download: %d bytes, %v", n, err)
	}

	staging := webclient.New(fmt.Sprintf("127.0.0.1:%d", stagingPort), fmt.Sprintf("staging.localhost:%d", stagingPort))
	if err := staging.Login(ctx, "admin@staging.localhost", "wippidu"); err != nil {
		t.Fatalf("staging login: %v", err)
	}
	imp, err := staging.Import(ctx, webclient.ImportForm{ConfirmHost: "staging.localhost"}, &dump)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	st, err := staging.Wait(ctx, imp.AuditID)
	if err != nil || !st.Succeeded {
		t.Fatalf("import job: %+v, %v", st, err)
	}
	// Staging's own admin survives the refresh: the same login works again.
	again := webclient.New(fmt.Sprintf("127.0.0.1:%d", stagingPort), fmt.Sprintf("staging.localhost:%d", stagingPort))
	if err := again.Login(ctx, "admin@staging.localhost", "wippidu"); err != nil {
		t.Fatalf("staging's own admin after the refresh: %v", err)
	}

	// Ctrl-C: everything stops, nothing is left running.
	if err := syscall.Kill(cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(90 * time.Second):
		t.Fatalf("demo did not stop after Ctrl-C:\n%s", log.String())
	}
	time.Sleep(500 * time.Millisecond)
	if left := processesUnder(work); len(left) > 0 {
		t.Errorf("processes left behind:\n%s", strings.Join(left, "\n"))
	}
	if _, err := os.Stat(filepath.Join(work, "pg", "data", "postmaster.pid")); err == nil {
		t.Error("the demo's PostgreSQL is still running")
	}
}
