package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/accounts"
	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/dump"
	"github.com/wippidu/wippidu/jobs"
	"github.com/wippidu/wippidu/sealed"
	"github.com/wippidu/wippidu/transfer"
)

// ExportWorker runs export jobs: one consistent snapshot of the app tables, streamed
// into storage as a dump file.
type ExportWorker struct {
	river.WorkerDefaults[jobs.ExportArgs]
	deps *Deps
}

// Timeout implements river.Worker: exports may run for hours.
func (w *ExportWorker) Timeout(*river.Job[jobs.ExportArgs]) time.Duration {
	return w.deps.Config.JobTimeout
}

// ExportKey is where an export's file is stored.
func ExportKey(auditID int64, fileName string) string {
	return fmt.Sprintf("exports/%d/%s", auditID, fileName)
}

// Work implements river.Worker. A finished export is never made twice: once its
// file is stored, the file is named in the job's row before the outcome is
// recorded, and an attempt that finds it there only records the outcome.
func (w *ExportWorker) Work(ctx context.Context, job *river.Job[jobs.ExportArgs]) error {
	a := job.Args
	log := jobLogger(w.deps.Logger, job.JobRow, a.AuditID)
	if done, err := alreadySucceeded(ctx, w.deps, a.AuditID); done || err != nil {
		return err
	}
	if err := audit.Start(ctx, w.deps.Pool, audit.Attempt{ID: a.AuditID, JobID: job.ID, Attempt: job.Attempt}); err != nil {
		return err
	}
	rep := newReporter(ctx, job.ID, a.AuditID, 0, log)
	started := time.Now()
	stored, res := w.storedBefore(ctx, job)
	if stored != nil {
		log.InfoContext(ctx, "export already stored by an earlier attempt; recording its outcome only", slog.String("file", stored.FileName))
	} else {
		var err error
		if stored, res, err = w.export(ctx, job, rep, log); err != nil {
			return w.failed(ctx, log, job, err)
		}
		res.DurationSeconds = time.Since(started).Seconds()
		// The stored file is named in the job's row first: if recording the
		// outcome fails, the next attempt finds it and only records it.
		rep.out.Progress = wippidu.Progress{Phase: wippidu.PhaseRecording, RowsDone: res.Rows, BytesDone: res.Bytes}
		rep.out.Result, rep.out.Stored = res, stored
		_ = rep.publish(ctx)
	}
	err := audit.Succeed(ctx, w.deps.Pool, audit.Success{ID: a.AuditID, Result: res,
		ObjectKey: stored.ObjectKey, FileName: stored.FileName, SizeBytes: stored.SizeBytes})
	if err != nil {
		err = fmt.Errorf("the export is stored as %s, but recording its outcome failed (a retry only records it): %w", stored.FileName, err)
		return w.failed(ctx, log, job, err)
	}
	jobs.CountAttempt(wippidu.KindExport, audit.StatusSucceeded)
	jobs.CountRows(wippidu.KindExport, res.Rows)
	jobs.CountBytes(wippidu.KindExport, stored.SizeBytes)
	log.InfoContext(ctx, "export succeeded", slog.String("file", stored.FileName), slog.Int64("rows", res.Rows),
		slog.Int64("bytes", stored.SizeBytes), slog.Duration("took", time.Since(started)))
	return finishSucceeded(ctx, rep, log, res)
}

// export writes the dump into storage.
func (w *ExportWorker) export(ctx context.Context, job *river.Job[jobs.ExportArgs], rep *reporter, log *slog.Logger) (*jobs.Stored, *wippidu.ExportResult, error) {
	a := job.Args
	log.InfoContext(ctx, "export started", slog.Bool("include_attachments", a.IncludeAttachments),
		slog.Bool("encrypted", w.deps.Config.ExportRecipients != ""))
	conn, release, err := jobSession(ctx, w.deps.Pool, job.ID, job.Attempt)
	if err != nil {
		return nil, nil, err
	}
	defer release()

	// Read at every export, as the import reads IMPORT_IDENTITY: what Parse
	// accepted at start cannot fail here, and a job never runs with other keys
	// than the configuration says.
	recipients, err := sealed.ParseRecipients(w.deps.Config.ExportRecipients)
	if err != nil {
		return nil, nil, wippidu.Errorf(wippidu.EINVALID, "EXPORT_RECIPIENTS %v", err)
	}
	fileName := dump.FileName(time.Now())
	if recipients != nil {
		fileName += sealed.Ext
	}
	key := ExportKey(a.AuditID, fileName)
	// The password hashes of the instance's own admins never leave it.
	own, err := accounts.OwnEmails(ctx, w.deps.Pool, w.deps.Config.StagingAdmins)
	if err != nil {
		return nil, nil, err
	}
	pr, pw := io.Pipe()
	type putResult struct {
		n   int64
		err error
	}
	putDone := make(chan putResult, 1)
	go func() {
		n, err := w.deps.Storage.Put(ctx, key, pr)
		pr.CloseWithError(err) // unblock the exporter if storage gave up
		putDone <- putResult{n, err}
	}()
	res, err := transfer.Export(ctx, conn.Conn(), pw, transfer.ExportOptions{
		OwnAccounts:        own,
		SourceHost:         a.SourceHost,
		IncludeAttachments: a.IncludeAttachments,
		Progress:           rep.update(ctx),
		Recipients:         recipients,
		Connections:        w.deps.Config.ExportConnections,
	})
	pw.CloseWithError(err)
	put := <-putDone
	switch {
	case err == nil && put.err != nil, errors.Is(err, io.ErrClosedPipe) && put.err != nil:
		err = fmt.Errorf("store export: %w", put.err)
	}
	if err != nil {
		return nil, nil, err
	}
	return &jobs.Stored{ObjectKey: key, FileName: fileName, SizeBytes: put.n}, res, nil
}

// storedBefore returns the file and result of an earlier attempt that stored its
// export but could not record it, when that file is still in storage.
func (w *ExportWorker) storedBefore(ctx context.Context, job *river.Job[jobs.ExportArgs]) (*jobs.Stored, *wippidu.ExportResult) {
	var out struct {
		Stored *jobs.Stored          `json:"stored"`
		Result *wippidu.ExportResult `json:"result"`
	}
	raw := job.Output()
	if len(raw) == 0 || json.Unmarshal(raw, &out) != nil || out.Stored == nil || out.Result == nil {
		return nil, nil
	}
	obj, err := w.deps.Storage.Stat(ctx, out.Stored.ObjectKey)
	if err != nil || obj.Size != out.Stored.SizeBytes {
		return nil, nil
	}
	return out.Stored, out.Result
}

func (w *ExportWorker) failed(ctx context.Context, log *slog.Logger, job *river.Job[jobs.ExportArgs], err error) error {
	return endAttempt(ctx, w.deps, attemptEnd{log: log, job: job.JobRow, auditID: job.Args.AuditID, err: err})
}
