package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wippidu/wippidu"
)

// Audit statuses.
const (
	StatusQueued    = "queued"
	StatusRunning   = "running"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
	StatusCancelled = "cancelled"
)

// Audit is one row of import_export_audits: the lasting record of an export or import.
type Audit struct {
	ID           int64           `json:"id"`
	CreatedAt    time.Time       `json:"created_at"`
	UpdatedAt    time.Time       `json:"updated_at"`
	Kind         string          `json:"kind"`
	Status       string          `json:"status"`
	RequestedBy  string          `json:"requested_by"`
	RiverJobID   *int64          `json:"river_job_id"`
	FileName     *string         `json:"file_name"`
	ObjectKey    *string         `json:"object_key"`
	SizeBytes    *int64          `json:"size_bytes"`
	Options      json.RawMessage `json:"options"`
	Result       json.RawMessage `json:"result"`
	ErrorMessage *string         `json:"error_message"`
	Attempts     int             `json:"attempts"`
	StartedAt    *time.Time      `json:"started_at"`
	FinishedAt   *time.Time      `json:"finished_at"`
}

type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// ErrNotFound is returned for an unknown job or audit.
var ErrNotFound = &wippidu.Error{Code: wippidu.ENOTFOUND, Message: "No such job."}

const auditColumns = `id, created_at, updated_at, kind, status, requested_by, river_job_id, file_name,
object_key, size_bytes, options, result, error_message, attempts, started_at, finished_at`

func scanAudit(row pgx.Row) (*Audit, error) {
	var a Audit
	err := row.Scan(&a.ID, &a.CreatedAt, &a.UpdatedAt, &a.Kind, &a.Status, &a.RequestedBy, &a.RiverJobID,
		&a.FileName, &a.ObjectKey, &a.SizeBytes, &a.Options, &a.Result, &a.ErrorMessage, &a.Attempts,
		&a.StartedAt, &a.FinishedAt)
	return &a, err
}

// createAudit inserts a queued audit row and returns its id.
func createAudit(ctx context.Context, tx pgx.Tx, kind, requestedBy, fileName, objectKey string, size int64, options any) (int64, error) {
	opts, err := json.Marshal(options)
	if err != nil {
		return 0, fmt.Errorf("encode audit options: %w", err)
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO import_export_audits (kind, requested_by, file_name, object_key, size_bytes, options)
		VALUES ($1, $2, NULLIF($3, ''), NULLIF($4, ''), NULLIF($5, 0), $6) RETURNING id`,
		kind, requestedBy, fileName, objectKey, size, opts).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert audit: %w", err)
	}
	return id, nil
}

func setAuditJob(ctx context.Context, tx pgx.Tx, auditID, jobID int64) error {
	_, err := tx.Exec(ctx, `UPDATE import_export_audits SET river_job_id = $2, updated_at = now() WHERE id = $1`, auditID, jobID)
	if err != nil {
		return fmt.Errorf("link audit to job: %w", err)
	}
	return nil
}

// auditRunning marks the start of an attempt.
func auditRunning(ctx context.Context, db execer, auditID, jobID int64, attempt int) error {
	_, err := db.Exec(ctx, `UPDATE import_export_audits
		SET status = 'running', river_job_id = $2, attempts = $3, started_at = COALESCE(started_at, now()),
		    updated_at = now()
		WHERE id = $1`, auditID, jobID, attempt)
	if err != nil {
		return fmt.Errorf("mark audit %d running: %w", auditID, err)
	}
	return nil
}

// auditSucceeded records success and the result; for imports it runs inside the
// import's transaction, so the record commits together with the data.
func auditSucceeded(ctx context.Context, db execer, auditID int64, result any, objectKey, fileName string, size int64) error {
	res, err := json.Marshal(result)
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	_, err = db.Exec(ctx, `UPDATE import_export_audits
		SET status = 'succeeded', result = $2, error_message = NULL, finished_at = clock_timestamp(), updated_at = clock_timestamp(),
		    object_key = COALESCE(NULLIF($3, ''), object_key), file_name = COALESCE(NULLIF($4, ''), file_name),
		    size_bytes = COALESCE(NULLIF($5, 0), size_bytes)
		WHERE id = $1`, auditID, res, objectKey, fileName, size)
	if err != nil {
		return fmt.Errorf("mark audit %d succeeded: %w", auditID, err)
	}
	return nil
}

// auditEnded records a failed attempt: status is failed or cancelled when the job
// will not run again, queued when River retries it; the full error is kept.
func auditEnded(ctx context.Context, db execer, auditID int64, status string, cause error) error {
	msg := ""
	if cause != nil {
		msg = cause.Error()
	}
	_, err := db.Exec(ctx, `UPDATE import_export_audits
		SET status = $2, error_message = NULLIF($3, ''), updated_at = now(),
		    finished_at = CASE WHEN $2 IN ('failed', 'cancelled') THEN clock_timestamp() ELSE NULL END
		WHERE id = $1`, auditID, status, msg)
	if err != nil {
		return fmt.Errorf("mark audit %d %s: %w", auditID, status, err)
	}
	return nil
}

// GetAudit returns one audit row.
func GetAudit(ctx context.Context, db querier, id int64) (*Audit, error) {
	a, err := scanAudit(db.QueryRow(ctx, `SELECT `+auditColumns+` FROM import_export_audits WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read audit %d: %w", id, err)
	}
	return a, nil
}

// AuditByJob returns the audit row of a River job.
func AuditByJob(ctx context.Context, db querier, jobID int64) (*Audit, error) {
	a, err := scanAudit(db.QueryRow(ctx, `SELECT `+auditColumns+` FROM import_export_audits WHERE river_job_id = $1`, jobID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read audit of job %d: %w", jobID, err)
	}
	return a, nil
}

// ListAudits returns the newest audit rows, newest first.
func ListAudits(ctx context.Context, db querier, limit int) ([]*Audit, error) {
	rows, err := db.Query(ctx, `SELECT `+auditColumns+` FROM import_export_audits ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("list audits: %w", err)
	}
	defer rows.Close()
	var out []*Audit
	for rows.Next() {
		a, err := scanAudit(rows)
		if err != nil {
			return nil, fmt.Errorf("list audits: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// HasImportedData reports whether this instance holds imported production data
// (a succeeded import exists), which every logged-in user is told by a banner.
func HasImportedData(ctx context.Context, db querier) (bool, error) {
	var ok bool
	err := db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM import_export_audits WHERE kind = 'import' AND status = 'succeeded')`).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("check imported data: %w", err)
	}
	return ok, nil
}
