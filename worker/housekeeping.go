package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

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
		status, found, err := audit.ImportStatusOf(ctx, deps.Pool, o.Key)
		reason := ""
		switch {
		case err != nil:
			errs = append(errs, err)
			continue
		case !found:
			if now.Sub(o.ModTime) > AbandonedUploadAge {
				reason = "abandoned upload"
			}
		case status == audit.StatusSucceeded && !deps.Config.KeepImportedDumps:
			reason = "imported"
		case (status == audit.StatusFailed || status == audit.StatusCancelled) && now.Sub(o.ModTime) > deps.Config.ExportRetention:
			reason = "failed import, past retention"
		case status == audit.StatusPreviewed && now.Sub(o.ModTime) > deps.Config.ExportRetention:
			reason = "previewed and not imported, past retention"
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
