package main_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wippidu/wippidu/internal/poll"
	"github.com/wippidu/wippidu/internal/testdb"
)

func TestWorkerServesMetricsAndStopsOnSIGTERM(t *testing.T) {
	t.Parallel()
	prod := newInstance(t, false)
	testdb.Fixture(t, prod.pool)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	prod.env["METRICS_ADDR"] = addr
	w := startWorker(t, prod, "metrics")

	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	poll.Until(t, "the metrics endpoint", 30*time.Second, func() bool { code, _ := get("/healthz"); return code == 200 })

	// An export run by this worker shows up in its metrics.
	if code, _, stderr := prod.run(t, "export", "--out", t.TempDir()); code != 0 {
		t.Fatalf("export: exit %d\n%s", code, stderr)
	}
	_, body := get("/metrics")
	for _, want := range []string{`wippidu_jobs_total{kind="export",outcome="succeeded"} 1`, `wippidu_rows_total{kind="export"} 28`, "go_goroutines"} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}

	start := time.Now()
	if err := w.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("worker exit after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("worker did not stop within 30 s of SIGTERM")
	}
	t.Logf("stopped %s after SIGTERM", time.Since(start).Round(time.Millisecond))
	if code, _ := get("/healthz"); code != 0 {
		t.Errorf("metrics endpoint still answers after the worker stopped: %s", fmt.Sprint(code))
	}
}
