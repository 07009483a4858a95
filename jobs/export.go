package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/wippidu/wippidu/dump"
	"github.com/wippidu/wippidu/transfer"
)

// ExportWorker runs export jobs: one consistent snapshot of the app tables, streamed
// into storage as a dump file.
type ExportWorker struct {
	river.WorkerDefaults[ExportArgs]
	deps *Deps
}

// Timeout implements river.Worker: exports may run for hours.
func (w *ExportWorker) Timeout(*river.Job[ExportArgs]) time.Duration { return w.deps.Config.JobTimeout }

// ExportKey is where an export's file is stored.
func ExportKey(auditID int64, fileName string) string {
	return fmt.Sprintf("exports/%d/%s", auditID, fileName)
}

// Work implements river.Worker.
func (w *ExportWorker) Work(ctx context.Context, job *river.Job[ExportArgs]) error {
	a := job.Args
	log := w.deps.Logger.With(slog.Int64("job_id", job.ID), slog.Int64("audit_id", a.AuditID), slog.String("job_kind", "export"), slog.Int("attempt", job.Attempt))
	if err := auditRunning(ctx, w.deps.Pool, a.AuditID, job.ID, job.Attempt); err != nil {
		return err
	}
	log.InfoContext(ctx, "export started", slog.Bool("include_attachments", a.IncludeAttachments))
	started := time.Now()

	conn, release, err := jobSession(ctx, w.deps.Pool, job.ID, job.Attempt)
	if err != nil {
		return w.failed(ctx, log, job, err)
	}
	defer release()

	fileName := dump.FileName(time.Now())
	key := ExportKey(a.AuditID, fileName)
	rep := newReporter(ctx, job.ID, a.AuditID, 0, log)

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
		SourceHost:         a.SourceHost,
		IncludeAttachments: a.IncludeAttachments,
		Progress:           rep.update(ctx),
	})
	pw.CloseWithError(err)
	put := <-putDone
	if err == nil && put.err != nil {
		err = fmt.Errorf("store export: %w", put.err)
	}
	if err != nil {
		if errors.Is(err, io.ErrClosedPipe) && put.err != nil {
			err = fmt.Errorf("store export: %w", put.err)
		}
		return w.failed(ctx, log, job, err)
	}
	if err := auditSucceeded(ctx, w.deps.Pool, a.AuditID, res, key, fileName, put.n); err != nil {
		return err
	}
	metricJobs.WithLabelValues("export", "succeeded").Inc()
	metricRows.WithLabelValues("export").Add(float64(res.Rows))
	metricBytes.WithLabelValues("export").Add(float64(put.n))
	log.InfoContext(ctx, "export succeeded", slog.String("file", fileName), slog.Int64("rows", res.Rows),
		slog.Int64("bytes", put.n), slog.Duration("took", time.Since(started)))
	return rep.finish(ctx, res)
}

func (w *ExportWorker) failed(ctx context.Context, log *slog.Logger, job *river.Job[ExportArgs], err error) error {
	return endAttempt(ctx, w.deps, log, "export", job.JobRow, job.Args.AuditID, err, false)
}
