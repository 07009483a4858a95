package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/jobs"
	"github.com/wippidu/wippidu/logins"
	"github.com/wippidu/wippidu/sessions"
	"github.com/wippidu/wippidu/storage"
)

// IncompleteUploadAge is how long an interrupted upload's leftovers (temp files,
// incomplete multipart uploads) are kept before they are swept.
const IncompleteUploadAge = 24 * time.Hour

// AbandonedUploadAge is how old an uploaded dump without a job must be before it is
// deleted (an upload that was cut off, or refused after storing).
const AbandonedUploadAge = 6 * time.Hour

// HousekeepingWorker deletes dumps that are no longer needed: exports older than the
// retention, imported dumps, and abandoned uploads.
type HousekeepingWorker struct {
	river.WorkerDefaults[jobs.HousekeepingArgs]
	deps *Deps
}

// Timeout implements river.Worker.
func (w *HousekeepingWorker) Timeout(*river.Job[jobs.HousekeepingArgs]) time.Duration {
	return 10 * time.Minute
}

// Work implements river.Worker.
func (w *HousekeepingWorker) Work(ctx context.Context, _ *river.Job[jobs.HousekeepingArgs]) error {
	return Housekeep(ctx, w.deps, time.Now())
}

// uploadExpired says why an uploaded dump is no longer needed, or "" while it is.
// An upload is production's raw data: it goes once imported; once cancelled; once a
// failed import has waited FAILED_UPLOAD_RETENTION for a retry (from when it
// failed); and a preview's after EXPORT_RETENTION.
func uploadExpired(ctx context.Context, deps *Deps, o storage.Object, now time.Time) (string, error) {
	rec, err := audit.ImportOf(ctx, deps.Pool, o.Key)
	if err != nil {
		return "", err
	}
	switch {
	case rec == nil:
		if now.Sub(o.ModTime) > AbandonedUploadAge {
			return "abandoned upload", nil
		}
	case rec.Status == audit.StatusSucceeded && !deps.Config.KeepImportedDumps:
		return "imported", nil
	case rec.Status == audit.StatusCancelled:
		return "cancelled import", nil
	case rec.Status == audit.StatusFailed:
		if until, _ := jobs.UploadHeldUntil(rec, deps.Config.FailedUploadRetention); now.After(until) {
			return "failed import, past FAILED_UPLOAD_RETENTION", nil
		}
	case rec.Status == audit.StatusPreviewed && now.Sub(o.ModTime) > deps.Config.ExportRetention:
		return "previewed and not imported, past retention", nil
	case rec.Status == audit.StatusQueued && rec.RiverJobID != nil:
		return cancelledWhileWaiting(ctx, deps, *rec.RiverJobID)
	}
	return "", nil
}

// cancelledWhileWaiting says "cancelled import" when an operator cancelled the
// import's job while it waited (River UI cancels a job that is not running without
// any worker seeing it), and brings its audit row in line. It needs the River
// client the housekeeping job runs under; without one it says nothing.
func cancelledWhileWaiting(ctx context.Context, deps *Deps, jobID int64) (string, error) {
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return "", nil
	}
	job, err := client.JobGet(ctx, jobID)
	if errors.Is(err, river.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read import job %d: %w", jobID, err)
	}
	if job.State != rivertype.JobStateCancelled {
		return "", nil
	}
	if err := jobs.SyncAuditAfterOps(ctx, deps.Pool, job); err != nil {
		return "", err
	}
	return "cancelled import", nil
}

// Housekeep deletes expired exports, finished or abandoned import dumps, leftovers
// of interrupted uploads, expired web sessions and login limits that limit no one.
func Housekeep(ctx context.Context, deps *Deps, now time.Time) error {
	var errs []error
	exports, err := deps.Storage.List(ctx, "exports/")
	if err != nil {
		return fmt.Errorf("list exports: %w", err)
	}
	for _, o := range exports {
		if now.Sub(o.ModTime) > deps.Config.ExportRetention {
			if err := deps.Storage.Delete(ctx, o.Key); err != nil {
				errs = append(errs, err)
				continue
			}
			deps.Logger.InfoContext(ctx, "deleted expired export", slog.String("key", o.Key))
		}
	}
	imports, err := deps.Storage.List(ctx, "imports/")
	if err != nil {
		return fmt.Errorf("list imports: %w", err)
	}
	for _, o := range imports {
		reason, err := uploadExpired(ctx, deps, o, now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if reason == "" {
			continue
		}
		if err := deps.Storage.Delete(ctx, o.Key); err != nil {
			errs = append(errs, err)
			continue
		}
		deps.Logger.InfoContext(ctx, "deleted dump", slog.String("key", o.Key), slog.String("reason", reason))
	}
	if _, err := sessions.DeleteExpired(ctx, deps.Pool); err != nil {
		errs = append(errs, err)
	}
	if _, err := logins.New(deps.Pool, logins.Config{Attempts: deps.Config.LoginAttempts}).Prune(ctx); err != nil {
		errs = append(errs, err)
	}
	if sw, ok := deps.Storage.(storage.Sweeper); ok {
		n, err := sw.SweepIncomplete(ctx, now.Add(-IncompleteUploadAge))
		if err != nil {
			errs = append(errs, err)
		}
		if n > 0 {
			deps.Logger.InfoContext(ctx, "swept interrupted uploads", slog.Int("count", n))
		}
	}
	return errors.Join(errs...)
}
