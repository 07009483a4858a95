package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/jobs"
	"github.com/wippidu/wippidu/transfer"
)

// jobLogger is the logger of one attempt of an export or import.
func jobLogger(l *slog.Logger, job *rivertype.JobRow, auditID int64) *slog.Logger {
	return l.With(slog.Int64("job_id", job.ID), slog.Int64("audit_id", auditID),
		slog.String("job_kind", job.Kind), slog.Int("attempt", job.Attempt))
}

// alreadySucceeded reports whether an earlier attempt finished the audit's work and
// recorded it (a worker that died after committing an import, say): then there is
// nothing left to do, and doing it again would only repeat it.
func alreadySucceeded(ctx context.Context, deps *Deps, auditID int64) (bool, error) {
	rec, err := audit.Get(ctx, deps.Pool, auditID)
	if err != nil {
		return false, err
	}
	if rec.Status == audit.StatusSucceeded {
		deps.Logger.InfoContext(ctx, "already succeeded in an earlier attempt; nothing to do", slog.Int64("audit_id", auditID))
		return true, nil
	}
	return false, nil
}

// finishSucceeded stores the final output once the work is done and recorded. A
// failure here is logged, never returned: returning it would have River run the
// whole export or import again for a job that has succeeded.
func finishSucceeded(ctx context.Context, rep *reporter, log *slog.Logger, result any) error {
	if err := rep.finish(ctx, result); err != nil {
		log.WarnContext(ctx, "store the job's final output (the outcome is recorded in its audit row)", slog.Any("error", err))
	}
	return nil
}

// attemptEnd is a failed attempt.
type attemptEnd struct {
	log       *slog.Logger
	job       *rivertype.JobRow
	auditID   int64
	err       error
	permanent bool // the caller knows a retry cannot fix it
}

// endAttempt records a failed attempt in the audit row and tells River what to do:
// errors a retry cannot fix cancel the job at once, a remote cancel ends it, anything
// else is retried until the attempts run out.
func endAttempt(ctx context.Context, deps *Deps, e attemptEnd) error {
	bg := context.WithoutCancel(ctx)
	err, permanent := e.err, e.permanent || Permanent(e.err)
	status := audit.StatusQueued
	switch {
	case errors.Is(context.Cause(ctx), rivertype.ErrJobCancelledRemotely):
		status = audit.StatusCancelled
		err = fmt.Errorf("cancelled by an operator: %w", err)
	case permanent || e.job.Attempt >= e.job.MaxAttempts:
		status = audit.StatusFailed
	}
	if aerr := audit.End(bg, deps.Pool, e.auditID, status, err); aerr != nil {
		e.log.ErrorContext(bg, "record failure", slog.Any("error", aerr))
	}
	jobs.CountAttempt(wippidu.Kind(e.job.Kind), status)
	e.log.ErrorContext(bg, e.job.Kind+" attempt failed", slog.Any("error", err), slog.String("audit_status", string(status)), slog.Bool("permanent", permanent))
	if permanent {
		return river.JobCancel(err)
	}
	return err
}

// Permanent reports whether err is one a retry cannot fix: a malformed or rejected
// dump, a refused gate, or PostgreSQL refusing the statement itself (bad data,
// a broken constraint, a missing privilege or object, a value pgx cannot encode),
// as opposed to a lost connection, a lock, a full disk or a storage hiccup.
func Permanent(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if errors.Is(err, transfer.ErrBadDump) {
		return true
	}
	var we *wippidu.Error
	if errors.As(err, &we) && (we.Code == wippidu.EINVALID || we.Code == wippidu.EFORBIDDEN) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code[:2] {
		case "0A", // feature not supported
			"22", // data exception
			"23", // integrity constraint violation
			"2B", // dependent objects still exist
			"42", // syntax error or access rule violation
			"44": // with check option violation
			return true
		}
		return false
	}
	// pgx refuses a parameter it cannot encode before anything reaches the server
	// (a value out of range for the parameter's type): the same every time.
	return strings.Contains(err.Error(), "failed to encode args[")
}
