package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/internal/bigdump"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/internal/webclient"
)

// bigUploadBytes is the size of the dump TestUploadLargerThan2GiB sends: past
// 2^31, where a 32-bit count of bytes would break.
const bigUploadBytes = 1<<31 + 64<<20

// TestUploadLargerThan2GiB streams a generated dump of more than 2^31 bytes (made
// while it is sent, never held) through the web command into storage, and a
// worker command imports it: the audit row, the job's progress and staging's rows
// all see it whole. Both run as the binaries that ship, without the race detector,
// so that 2 GB take seconds.
func TestUploadLargerThan2GiB(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("streams 2.1 GB; skipped with -short")
	}
	dbURL, storeDir := pgtest.NewDB(t), t.TempDir()
	pool := pgtest.NewPool(t, dbURL)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	vars := stagingEnv(t, pool, dbURL, storeDir)
	_, addr := startWeb(t, vars)
	startWorker(t, vars)
	c := webclient.New(addr, "staging.wippidu.net")
	if err := c.Login(ctx, "admin@wippidu.example", "admin password"); err != nil {
		t.Fatal(err)
	}

	d := bigdump.Stream(bigUploadBytes)
	sub, err := c.Import(ctx, webclient.ImportForm{ConfirmHost: "staging.wippidu.net", FileName: "big.json.gz"}, d)
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	if d.Size() <= 1<<31 {
		t.Fatalf("the dump sent was %d bytes, want more than 2^31", d.Size())
	}
	st, err := c.Wait(ctx, sub.AuditID)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Succeeded {
		t.Fatalf("import of the big dump: %s %s", st.State, st.Error)
	}
	if st.BytesTotal != d.Size() || st.BytesDone != d.Size() {
		t.Errorf("progress: %d of %d bytes, want %d of %d", st.BytesDone, st.BytesTotal, d.Size(), d.Size())
	}
	rec, err := audit.Get(ctx, pool, sub.AuditID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.SizeBytes == nil || *rec.SizeBytes != d.Size() || rec.Status != audit.StatusSucceeded {
		t.Errorf("audit: status %s, size_bytes %v, want succeeded and %d", rec.Status, rec.SizeBytes, d.Size())
	}
	var n int64
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM attachments").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != d.Attachments() || n == 0 {
		t.Errorf("staging holds %d attachments, want the dump's %d", n, d.Attachments())
	}
}

// startWorker runs `worker run` with vars as its whole environment until the test
// ends.
func startWorker(t *testing.T, vars map[string]string) *exec.Cmd {
	t.Helper()
	c := workerCmd(vars, "run")
	logFile, err := os.Create(filepath.Join(t.TempDir(), "worker.log"))
	if err != nil {
		t.Fatal(err)
	}
	c.Stderr = logFile
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			if b, err := os.ReadFile(logFile.Name()); err == nil {
				t.Logf("worker log:\n%s", b)
			}
		}
		_ = c.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = c.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = c.Process.Kill()
		}
	})
	return c
}
