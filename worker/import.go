package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/accounts"
	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/browse"
	"github.com/wippidu/wippidu/config"
	"github.com/wippidu/wippidu/jobs"
	"github.com/wippidu/wippidu/sealed"
	"github.com/wippidu/wippidu/storage"
	"github.com/wippidu/wippidu/transfer"
)

// busySnooze is how long an import waits when another one holds the import lock.
const busySnooze = 15 * time.Second

// ImportWorker runs import jobs: the uploaded dump replaces staging's app data, in
// one transaction, anonymized on the way in.
type ImportWorker struct {
	river.WorkerDefaults[jobs.ImportArgs]
	deps *Deps
}

// Timeout implements river.Worker: imports may run for hours.
func (w *ImportWorker) Timeout(*river.Job[jobs.ImportArgs]) time.Duration {
	return w.deps.Config.JobTimeout
}

// Work implements river.Worker.
func (w *ImportWorker) Work(ctx context.Context, job *river.Job[jobs.ImportArgs]) error {
	a := job.Args
	log := jobLogger(w.deps.Logger, job.JobRow, a.AuditID)

	// The gates are checked again here: a job row may have been inserted by hand,
	// or on the wrong instance.
	if !w.deps.Config.AllowProdImport {
		return w.ended(ctx, log, job, wippidu.ErrImportDisabled, true)
	}
	if err := anonymizer.CheckOptOut(a.AnonymizersOff, a.RiskAck); err != nil {
		return w.ended(ctx, log, job, err, true)
	}
	if done, err := alreadySucceeded(ctx, w.deps, a.AuditID); done || err != nil {
		return err
	}
	if err := audit.Start(ctx, w.deps.Pool, audit.Attempt{ID: a.AuditID, JobID: job.ID, Attempt: job.Attempt}); err != nil {
		return err
	}
	rep := newReporter(ctx, job.ID, a.AuditID, 0, log)
	res, err := w.load(ctx, job, rep, log)
	if errors.Is(err, transfer.ErrBusy) {
		log.InfoContext(ctx, "another import holds the lock; waiting", slog.Duration("snooze", busySnooze))
		_ = audit.End(ctx, w.deps.Pool, a.AuditID, audit.StatusQueued, nil)
		return river.JobSnooze(busySnooze)
	}
	if err != nil {
		return w.ended(ctx, log, job, err, false)
	}
	if a.Preview {
		return w.previewed(ctx, rep, log, res)
	}
	// From here on the import is committed: nothing may send the job back for
	// another attempt.
	jobs.CountAttempt(wippidu.KindImport, audit.StatusSucceeded)
	jobs.CountRows(wippidu.KindImport, res.Rows)
	log.InfoContext(ctx, "import succeeded", slog.Int64("rows", res.Rows), slog.Float64("seconds", res.DurationSeconds),
		slog.Any("skipped_tables", res.SkippedTables), slog.Any("missing_tables", res.MissingTables))

	// The dump holds production personal data: an upload goes once it has been
	// imported. Production's own storage is only ever read.
	if !w.deps.Config.KeepImportedDumps && a.Source == jobs.SourceUploads {
		if err := w.deps.Storage.Delete(context.WithoutCancel(ctx), a.ObjectKey); err != nil {
			log.WarnContext(ctx, "delete imported dump; housekeeping will retry", slog.Any("error", err))
		}
	}
	return finishSucceeded(ctx, rep, log, res)
}

// load runs the import itself, from the stored dump, in the job's named session.
func (w *ImportWorker) load(ctx context.Context, job *river.Job[jobs.ImportArgs], rep *reporter, log *slog.Logger) (*wippidu.ImportResult, error) {
	a := job.Args
	// The job's named session is taken first: from now on the liveness job can see
	// that this attempt is alive.
	conn, release, err := jobSession(ctx, w.deps.Pool, job.ID, job.Attempt)
	if err != nil {
		return nil, err
	}
	defer release()

	store, err := w.store(a.Source)
	if err != nil {
		return nil, err
	}
	obj, err := store.Stat(ctx, a.ObjectKey)
	if errors.Is(err, os.ErrNotExist) {
		if a.Source == jobs.SourceProduction {
			return nil, fmt.Errorf("the export %q is no longer in production's storage: %w", a.ObjectKey, transfer.ErrBadDump)
		}
		return nil, wippidu.ErrUploadGone
	}
	if err != nil {
		return nil, fmt.Errorf("stat dump: %w", err)
	}
	src := func(ctx context.Context) (io.ReadCloser, error) { return store.Open(ctx, a.ObjectKey) }
	anon, err := anonymizer.New(w.deps.Policy, a.AnonymizersOff, w.deps.Config.AnonymizerSalt)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", transfer.ErrBadDump, err)
	}
	// The identity is read at every import: a key file replaced on the workers
	// (a rotated key) counts from the next import on, without a restart.
	dec, err := sealed.NewDecrypter(w.deps.Config.ImportIdentity)
	if err != nil {
		return nil, wippidu.Errorf(wippidu.EINVALID, "IMPORT_IDENTITY %v", err)
	}
	log.InfoContext(ctx, "import started", slog.String("file", a.FileName), slog.Int64("bytes", obj.Size),
		slog.Any("anonymizers_off", a.AnonymizersOff))
	rep.out.BytesTotal = obj.Size
	keeper, err := w.keeper(ctx, a.AuditID)
	if err != nil {
		return nil, err
	}
	res, err := transfer.Import(ctx, conn.Conn(), src, transfer.ImportOptions{
		Anonymizer:     anon,
		Decrypter:      dec,
		Progress:       rep.update(ctx),
		BeforeTruncate: keeper.Save,
		DryRun:         a.Preview,
		Logger:         log,
		BeforeCommit: func(ctx context.Context, tx pgx.Tx, res *wippidu.ImportResult) error {
			return w.beforeCommit(ctx, tx, a, keeper, res, log)
		},
	})
	if err == nil {
		jobs.CountBytes(wippidu.KindImport, obj.Size)
	}
	return res, err
}

// beforeCommit finishes the import inside its transaction, once the data is
// loaded and checked: staging's own accounts come back, the planner's statistics
// are brought up to date with what was loaded (transfer.Analyze), and then a
// preview reads its sample, or the audit row records the success.
func (w *ImportWorker) beforeCommit(ctx context.Context, tx pgx.Tx, a jobs.ImportArgs, keeper *accounts.Keeper,
	res *wippidu.ImportResult, log *slog.Logger) error {
	kept, err := keeper.Restore(ctx, tx)
	if err != nil {
		return err
	}
	res.KeptAccounts, res.ImportedAdmins = kept, string(w.deps.Config.ImportedAdmins)
	start := time.Now()
	if err := transfer.Analyze(ctx, tx); err != nil {
		return err
	}
	log.InfoContext(ctx, "statistics updated", slog.Float64("seconds", time.Since(start).Seconds()))
	if a.Preview {
		return w.sample(ctx, tx, res)
	}
	// Success is recorded in the import's own transaction: the audit row says
	// succeeded exactly when the data is there.
	return audit.Succeed(ctx, tx, audit.Success{ID: a.AuditID, Result: res})
}

// sample reads, in a preview's transaction before it rolls back, the first rows
// of every table as the import would have left them.
func (w *ImportWorker) sample(ctx context.Context, tx pgx.Tx, res *wippidu.ImportResult) error {
	r, err := browse.New(browse.Config{DB: w.deps.Pool, Policy: w.deps.Policy, PageRows: browse.SampleRows})
	if err != nil {
		return err
	}
	pages, err := r.Sample(ctx, tx, browse.Query{Unscrubbed: res.Unscrubbed, AnonymizersSkipped: res.AnonymizersSkipped})
	if err != nil {
		return fmt.Errorf("read the preview's sample rows: %w", err)
	}
	if res.Sample, err = json.Marshal(pages); err != nil {
		return fmt.Errorf("encode the preview's sample rows: %w", err)
	}
	return nil
}

// previewed records a dry run that ran whole: staging is as it was, and the
// uploaded dump stays for the import the admin may start next.
func (w *ImportWorker) previewed(ctx context.Context, rep *reporter, log *slog.Logger, res *wippidu.ImportResult) error {
	if err := audit.Previewed(ctx, w.deps.Pool, rep.out.AuditID, res); err != nil {
		return err
	}
	jobs.CountAttempt(wippidu.KindImport, audit.StatusPreviewed)
	log.InfoContext(ctx, "import previewed and rolled back", slog.Int64("rows", res.Rows), slog.Float64("seconds", res.DurationSeconds))
	return finishSucceeded(ctx, rep, log, res)
}

// store is the storage an import's dump is in.
func (w *ImportWorker) store(source jobs.Source) (storage.Storage, error) {
	switch source {
	case jobs.SourceUploads:
		return w.deps.Storage, nil
	case jobs.SourceProduction:
		if w.deps.Source == nil {
			return nil, fmt.Errorf("%w: the import reads production's storage, but this worker has no SOURCE_STORAGE_URL", transfer.ErrBadDump)
		}
		return w.deps.Source, nil
	}
	return nil, fmt.Errorf("%w: unknown dump source %q", transfer.ErrBadDump, source)
}

// keeper carries staging's own admins over the import: the admin who asked for it
// (an email; the command line names none) and STAGING_ADMINS.
func (w *ImportWorker) keeper(ctx context.Context, auditID int64) (*accounts.Keeper, error) {
	rec, err := audit.Get(ctx, w.deps.Pool, auditID)
	if err != nil {
		return nil, err
	}
	k := &accounts.Keeper{Emails: slices.Clone(w.deps.Config.StagingAdmins),
		Demote: w.deps.Config.ImportedAdmins == config.ImportedAdminsDemote}
	if strings.Contains(rec.RequestedBy, "@") {
		k.Emails = append(k.Emails, rec.RequestedBy)
	}
	return k, nil
}

func (w *ImportWorker) ended(ctx context.Context, log *slog.Logger, job *river.Job[jobs.ImportArgs], err error, permanent bool) error {
	w.dropUpload(ctx, log, job, err)
	return endAttempt(ctx, w.deps, attemptEnd{log: log, job: job.JobRow, auditID: job.Args.AuditID, err: err, permanent: permanent})
}

// dropUpload deletes an uploaded dump that no retry can use: the import was
// cancelled, or refused for the dump itself (the leak check, a damaged or
// malformed file, data the schema refuses). It is production's raw data; any
// other failure leaves it for a retry, for FAILED_UPLOAD_RETENTION.
func (w *ImportWorker) dropUpload(ctx context.Context, log *slog.Logger, job *river.Job[jobs.ImportArgs], err error) {
	a := job.Args
	cancelled := errors.Is(context.Cause(ctx), rivertype.ErrJobCancelledRemotely)
	if a.Source != jobs.SourceUploads || a.Preview && !cancelled || !cancelled && !errors.Is(err, transfer.ErrBadDump) {
		return
	}
	if derr := w.deps.Storage.Delete(context.WithoutCancel(ctx), a.ObjectKey); derr != nil && !errors.Is(derr, os.ErrNotExist) {
		log.WarnContext(ctx, "delete the upload of a refused or cancelled import; housekeeping will retry", slog.Any("error", derr))
		return
	}
	log.InfoContext(ctx, "deleted the upload: no retry can use it", slog.Bool("cancelled", cancelled))
}
