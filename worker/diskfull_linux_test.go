package worker_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/internal/poll"
	"github.com/wippidu/wippidu/internal/testdb"
	"github.com/wippidu/wippidu/jobs"
	"github.com/wippidu/wippidu/storage/file"
)

// An export into a file store whose disk fills up fails with the reason recorded
// and leaves no partial file behind. A 1 MiB tmpfs plays the full disk, which needs
// root (as on CI); elsewhere the test skips.
func TestExportOntoAFullDiskFailsCleanly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("cannot mount a 1 MiB tmpfs (needs root): %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	store, err := file.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	prod := newInstance(t, instanceOpts{store: store, retry: fixedRetry(time.Hour)})
	testdb.Fixture(t, prod.pool)
	testdb.BulkMessages(t, prod.pool, 80000) // ~3 MB of dump: more than the disk holds
	ctx := context.Background()
	s, err := prod.sub.Export(ctx, jobs.ExportRequest{RequestedBy: "admin", IncludeAttachments: true})
	if err != nil {
		t.Fatal(err)
	}
	poll.Until(t, "the export attempt to fail", time.Minute, func() bool {
		j, err := prod.client.JobGet(ctx, s.JobID)
		if err == nil && j.State == rivertype.JobStateCompleted {
			t.Fatal("the export fit on the small disk; the test needs more data")
		}
		return err == nil && len(j.Errors) == 1 && j.State != rivertype.JobStateRunning
	})
	a, err := audit.Get(ctx, prod.pool, s.AuditID)
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != audit.StatusQueued || a.ErrorMessage == nil || !strings.Contains(*a.ErrorMessage, "no space left on device") {
		t.Errorf("audit after the failed attempt: %s %v, want queued for a retry with the disk-full error", a.Status, a.ErrorMessage)
	}
	if objs, err := store.List(ctx, ""); err != nil || len(objs) != 0 {
		t.Errorf("objects after a failed export: %v, %v", objs, err)
	}
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			t.Errorf("file left on the full disk: %s", p)
		}
		return nil
	})
}
