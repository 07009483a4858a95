package worker_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/internal/poll"
	"github.com/wippidu/wippidu/internal/testdb"
	"github.com/wippidu/wippidu/jobs"
)

// TestRefusedImportDeletesItsUploadAndARetrySaysItIsGone: a dump refused for
// itself (here a file that is no dump) can never be imported by a retry, so its
// upload, production's raw data, is deleted at once; when ops retry the job
// anyway, the import says plainly that the upload is gone.
func TestRefusedImportDeletesItsUploadAndARetrySaysItIsGone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	staging := newInstance(t, instanceOpts{allowImport: true})
	key := jobs.NewImportKey()
	if _, err := staging.store.Put(ctx, key, bytes.NewReader(testdb.Gzip(t, `{"hello":"world"}`))); err != nil {
		t.Fatal(err)
	}
	s, err := staging.sub.Import(ctx, importRequest(key))
	if err != nil {
		t.Fatal(err)
	}
	if st := staging.wait(t, s.JobID); st.Succeeded {
		t.Fatal("a file that is no dump was imported")
	}
	if _, err := staging.store.Stat(ctx, key); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused import's upload: %v, want it deleted", err)
	}
	job, err := staging.client.JobRetry(ctx, s.JobID)
	if err != nil {
		t.Fatal(err)
	}
	if err := jobs.SyncAuditAfterOps(ctx, staging.pool, job); err != nil {
		t.Fatal(err)
	}
	if st := staging.wait(t, s.JobID); st.Succeeded || st.Error != wippidu.ErrUploadGone.Message {
		t.Errorf("retry: succeeded %v, error %q; want %q", st.Succeeded, st.Error, wippidu.ErrUploadGone.Message)
	}
	if a, _ := audit.Get(ctx, staging.pool, s.AuditID); a.Status != audit.StatusFailed || a.ErrorMessage == nil || *a.ErrorMessage != wippidu.ErrUploadGone.Message {
		t.Errorf("audit after the retry: %s %v", a.Status, a.ErrorMessage)
	}
}

// TestImportRefusedByAGateKeepsItsUploadForARetry: a refusal that has nothing to
// do with the dump (imports not enabled on the instance that ran the job) may
// succeed on a retry once fixed, so the upload stays, for FAILED_UPLOAD_RETENTION.
func TestImportRefusedByAGateKeepsItsUploadForARetry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	staging := newInstance(t, instanceOpts{})
	key, auditID := uploadWithAudit(t, staging)
	res, err := staging.client.Insert(ctx, jobs.ImportArgs{AuditID: auditID, ObjectKey: key}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st := staging.wait(t, res.Job.ID); st.Succeeded {
		t.Fatal("an import ran where imports are not enabled")
	}
	if _, err := staging.store.Stat(ctx, key); err != nil {
		t.Errorf("the upload of an import refused by a gate: %v, want it kept for a retry", err)
	}
	rec, _ := audit.Get(ctx, staging.pool, auditID)
	until, held := jobs.UploadHeldUntil(rec, staging.deps.Config.FailedUploadRetention)
	if !held || rec.FinishedAt == nil || !until.Equal(rec.FinishedAt.Add(staging.deps.Config.FailedUploadRetention)) {
		t.Errorf("held %v until %v, want FAILED_UPLOAD_RETENTION after %v", held, until, rec.FinishedAt)
	}
}

// TestImportCancelledWhileWaitingLosesItsUpload: ops cancel an import's job that
// is not running (in River UI, a job waiting for its retry): no worker sees it, and
// the next housekeeping run brings the audit row in line and deletes the upload.
func TestImportCancelledWhileWaitingLosesItsUpload(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	staging := newInstance(t, instanceOpts{allowImport: true})
	key, auditID := uploadWithAudit(t, staging)
	res, err := staging.client.Insert(ctx, jobs.ImportArgs{AuditID: auditID, ObjectKey: key}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := staging.pool.Exec(ctx, `UPDATE import_export_audits SET river_job_id = $1 WHERE id = $2`, res.Job.ID, auditID); err != nil {
		t.Fatal(err)
	}
	if _, err := staging.client.JobCancel(ctx, res.Job.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := staging.client.Insert(ctx, jobs.HousekeepingArgs{}, nil); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, "the upload deleted", time.Minute, func() bool {
		_, err := staging.store.Stat(ctx, key)
		return errors.Is(err, os.ErrNotExist)
	})
	if a, _ := audit.Get(ctx, staging.pool, auditID); a.Status != audit.StatusCancelled {
		t.Errorf("audit after housekeeping: %s, want cancelled", a.Status)
	}
}

// uploadWithAudit stores an upload (a file that is no dump) and the audit row of
// an import of it, with no job yet.
func uploadWithAudit(t *testing.T, in *instance) (string, int64) {
	t.Helper()
	ctx := context.Background()
	key := jobs.NewImportKey()
	if _, err := in.store.Put(ctx, key, bytes.NewReader(testdb.Gzip(t, `{"hello":"world"}`))); err != nil {
		t.Fatal(err)
	}
	var auditID int64
	if err := in.pool.QueryRow(ctx, `INSERT INTO import_export_audits (kind, requested_by, object_key) VALUES ('import', 'ops', $1) RETURNING id`, key).Scan(&auditID); err != nil {
		t.Fatal(err)
	}
	return key, auditID
}
