package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/transfer"
)

// busySnooze is how long an import waits when another one holds the import lock.
const busySnooze = 15 * time.Second

// ImportWorker runs import jobs: the uploaded dump replaces staging's app data, in
// one transaction, anonymized on the way in.
type ImportWorker struct {
	river.WorkerDefaults[ImportArgs]
	deps *Deps
}

// Timeout implements river.Worker: imports may run for hours.
func (w *ImportWorker) Timeout(*river.Job[ImportArgs]) time.Duration { return w.deps.Config.JobTimeout }

// Work implements river.Worker.
func (w *ImportWorker) Work(ctx context.Context, job *river.Job[ImportArgs]) error {
	a := job.Args
	log := w.deps.Logger.With(slog.Int64("job_id", job.ID), slog.Int64("audit_id", a.AuditID), slog.String("job_kind", "import"), slog.Int("attempt", job.Attempt))

	// The gates are checked again here: a job row may have been inserted by hand,
	// or on the wrong instance.
	if !w.deps.Config.AllowProdImport {
		return w.ended(ctx, log, job, wippidu.ErrImportDisabled, true)
	}
	if err := anonymizer.CheckOptOut(a.AnonymizersOff, a.RiskAck); err != nil {
		return w.ended(ctx, log, job, err, true)
	}
	if err := auditRunning(ctx, w.deps.Pool, a.AuditID, job.ID, job.Attempt); err != nil {
		return err
	}

	// The job's named session is taken first: from now on the liveness job can see
	// that this attempt is alive.
	conn, release, err := jobSession(ctx, w.deps.Pool, job.ID, job.Attempt)
	if err != nil {
		return w.ended(ctx, log, job, err, false)
	}
	defer release()

	obj, err := w.deps.Storage.Stat(ctx, a.ObjectKey)
	if errors.Is(err, os.ErrNotExist) {
		return w.ended(ctx, log, job, fmt.Errorf("the uploaded dump %q is no longer in storage: %w", a.ObjectKey, transfer.ErrBadDump), true)
	}
	if err != nil {
		return w.ended(ctx, log, job, fmt.Errorf("stat dump: %w", err), false)
	}
	src, err := w.deps.Storage.Open(ctx, a.ObjectKey)
	if err != nil {
		return w.ended(ctx, log, job, fmt.Errorf("open dump: %w", err), false)
	}
	defer src.Close()

	anon, err := anonymizer.New(w.deps.Policy, a.AnonymizersOff, w.deps.Config.AnonymizerSalt)
	if err != nil {
		return w.ended(ctx, log, job, err, true)
	}
	log.InfoContext(ctx, "import started", slog.String("file", a.FileName), slog.Int64("bytes", obj.Size),
		slog.Any("anonymizers_off", a.AnonymizersOff))
	rep := newReporter(ctx, job.ID, a.AuditID, obj.Size, log)
	res, err := transfer.Import(ctx, conn.Conn(), src, transfer.ImportOptions{
		Anonymizer: anon,
		Progress:   rep.update(ctx),
		BeforeCommit: func(ctx context.Context, tx pgx.Tx, res *transfer.ImportResult) error {
			// Success is recorded in the import's own transaction: the audit row
			// says succeeded exactly when the data is there.
			return auditSucceeded(ctx, tx, a.AuditID, res, "", "", 0)
		},
	})
	if errors.Is(err, transfer.ErrBusy) {
		log.InfoContext(ctx, "another import holds the lock; waiting", slog.Duration("snooze", busySnooze))
		_ = auditEnded(ctx, w.deps.Pool, a.AuditID, StatusQueued, nil)
		return river.JobSnooze(busySnooze)
	}
	if err != nil {
		return w.ended(ctx, log, job, err, errors.Is(err, transfer.ErrBadDump))
	}
	metricJobs.WithLabelValues("import", "succeeded").Inc()
	metricRows.WithLabelValues("import").Add(float64(res.Rows))
	metricBytes.WithLabelValues("import").Add(float64(obj.Size))
	log.InfoContext(ctx, "import succeeded", slog.Int64("rows", res.Rows), slog.Float64("seconds", res.DurationSeconds),
		slog.Any("skipped_tables", res.SkippedTables), slog.Any("missing_tables", res.MissingTables))

	// The dump holds production personal data: it goes once it has been imported.
	if !w.deps.Config.KeepImportedDumps {
		if err := w.deps.Storage.Delete(context.WithoutCancel(ctx), a.ObjectKey); err != nil {
			log.WarnContext(ctx, "delete imported dump; housekeeping will retry", slog.Any("error", err))
		}
	}
	return rep.finish(ctx, res)
}

func (w *ImportWorker) ended(ctx context.Context, log *slog.Logger, job *river.Job[ImportArgs], err error, permanent bool) error {
	return endAttempt(ctx, w.deps, log, "import", job.JobRow, job.Args.AuditID, err, permanent)
}

// endAttempt records a failed attempt in the audit row and tells River what to do:
// permanent errors cancel the job, a remote cancel ends it, anything else is retried
// until the attempts run out.
func endAttempt(ctx context.Context, deps *Deps, log *slog.Logger, kind string, job *rivertype.JobRow, auditID int64, err error, permanent bool) error {
	bg := context.WithoutCancel(ctx)
	status := StatusQueued
	switch {
	case errors.Is(context.Cause(ctx), rivertype.ErrJobCancelledRemotely):
		status = StatusCancelled
		err = fmt.Errorf("cancelled by an operator: %w", err)
	case permanent || job.Attempt >= job.MaxAttempts:
		status = StatusFailed
	}
	if aerr := auditEnded(bg, deps.Pool, auditID, status, err); aerr != nil {
		log.ErrorContext(bg, "record failure", slog.Any("error", aerr))
	}
	metricJobs.WithLabelValues(kind, status).Inc()
	log.ErrorContext(bg, kind+" attempt failed", slog.Any("error", err), slog.String("audit_status", status), slog.Bool("permanent", permanent))
	if permanent {
		return river.JobCancel(err)
	}
	return err
}
