// Package audit keeps import_export_audits, the lasting record of every export and
// import of an instance: who asked, when, with which options, and how it ended.
// River deletes finished job rows after a day; these rows stay, and an import never
// touches them.
//
// Every write takes a request struct and every count is 64-bit: a dump of many
// gigabytes is normal, and PostgreSQL infers int4 for a parameter compared with a
// bare 0, so each such parameter is cast to bigint in the SQL.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wippidu/wippidu"
)

// Status is where an export or import stands in its audit row (the status
// column's CHECK constraint lists the same words).
type Status string

// Statuses of an audit row.
const (
	StatusQueued    Status = "queued"
	StatusRunning   Status = "running"
	StatusSucceeded Status = "succeeded"
	StatusFailed    Status = "failed"
	StatusCancelled Status = "cancelled"
	StatusRefused   Status = "refused"   // a gate refused the request; nothing was stored or run
	StatusPreviewed Status = "previewed" // a dry run: the whole import ran and was rolled back
	StatusSkipped   Status = "skipped"   // a scheduled refresh or export started nothing; the reason is the error message
)

// Ended reports whether status is final: the job will not run again.
func Ended(status Status) bool {
	switch status {
	case StatusSucceeded, StatusFailed, StatusCancelled, StatusRefused, StatusPreviewed, StatusSkipped:
		return true
	}
	return false
}

// Record is one row of import_export_audits.
type Record struct {
	ID           int64           `json:"id"`
	CreatedAt    time.Time       `json:"created_at"`
	UpdatedAt    time.Time       `json:"updated_at"`
	Kind         wippidu.Kind    `json:"kind"`
	Status       Status          `json:"status"`
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
	ClientAddr   *string         `json:"client_addr"`
}

// DB is what the queries need: a pool, a connection or a transaction.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// ErrNotFound is returned for an unknown job or audit.
var ErrNotFound = &wippidu.Error{Code: wippidu.ENOTFOUND, Message: "No such job."}

// New describes an audit row to create.
type New struct {
	Kind        wippidu.Kind
	RequestedBy string
	FileName    string // empty: not known yet
	ObjectKey   string // empty: not known yet
	SizeBytes   int64  // 0: not known yet
	Options     any    // stored as JSON
}

// Create inserts a queued audit row and returns its id.
func Create(ctx context.Context, db DB, n New) (int64, error) {
	opts, err := json.Marshal(n.Options)
	if err != nil {
		return 0, fmt.Errorf("encode audit options: %w", err)
	}
	var id int64
	err = db.QueryRow(ctx, `INSERT INTO import_export_audits (kind, requested_by, file_name, object_key, size_bytes, options)
		VALUES ($1, $2, NULLIF($3, ''), NULLIF($4, ''), NULLIF($5::bigint, 0), $6) RETURNING id`,
		n.Kind, n.RequestedBy, n.FileName, n.ObjectKey, n.SizeBytes, opts).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert audit: %w", err)
	}
	return id, nil
}

// Refusal is an export or import a gate refused.
type Refusal struct {
	Kind        wippidu.Kind
	RequestedBy string
	ClientAddr  string // the request's peer address; "cli" for the command line
	FileName    string // the upload's name, when there was one
	Reason      string // the message the requester got
	Options     any    // what was asked for, stored as JSON
}

// Refuse records a refused attempt: who, from where, why. Nothing was stored.
func Refuse(ctx context.Context, db DB, r Refusal) (int64, error) {
	opts, err := json.Marshal(r.Options)
	if err != nil {
		return 0, fmt.Errorf("encode audit options: %w", err)
	}
	var id int64
	err = db.QueryRow(ctx, `INSERT INTO import_export_audits (kind, status, requested_by, client_addr, file_name, options,
			error_message, finished_at)
		VALUES ($1, 'refused', $2, NULLIF($3, ''), NULLIF($4, ''), $5, $6, clock_timestamp()) RETURNING id`,
		r.Kind, r.RequestedBy, r.ClientAddr, r.FileName, opts, r.Reason).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("record refusal: %w", err)
	}
	return id, nil
}

// LinkJob records the River job that runs an audit's export or import.
func LinkJob(ctx context.Context, db DB, id, jobID int64) error {
	_, err := db.Exec(ctx, `UPDATE import_export_audits SET river_job_id = $2, updated_at = now() WHERE id = $1`, id, jobID)
	if err != nil {
		return fmt.Errorf("link audit %d to job %d: %w", id, jobID, err)
	}
	return nil
}

// Attempt identifies one attempt of a job at an audit's work.
type Attempt struct {
	ID      int64 // the audit row
	JobID   int64
	Attempt int
}

// Start marks the start of an attempt.
func Start(ctx context.Context, db DB, a Attempt) error {
	_, err := db.Exec(ctx, `UPDATE import_export_audits
		SET status = 'running', river_job_id = $2, attempts = $3, started_at = COALESCE(started_at, now()),
		    updated_at = now()
		WHERE id = $1`, a.ID, a.JobID, a.Attempt)
	if err != nil {
		return fmt.Errorf("mark audit %d running: %w", a.ID, err)
	}
	return nil
}

// Success is how an export or import ended well.
type Success struct {
	ID        int64
	Result    any    // stored as JSON
	ObjectKey string // empty: unchanged
	FileName  string // empty: unchanged
	SizeBytes int64  // 0: unchanged
}

// Succeed records success and the result. For an import it runs inside the
// import's transaction, so that the record commits together with the data.
func Succeed(ctx context.Context, db DB, s Success) error {
	res, err := json.Marshal(s.Result)
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	_, err = db.Exec(ctx, `UPDATE import_export_audits
		SET status = 'succeeded', result = $2, error_message = NULL, finished_at = clock_timestamp(), updated_at = clock_timestamp(),
		    object_key = COALESCE(NULLIF($3, ''), object_key), file_name = COALESCE(NULLIF($4, ''), file_name),
		    size_bytes = COALESCE(NULLIF($5::bigint, 0), size_bytes)
		WHERE id = $1`, s.ID, res, s.ObjectKey, s.FileName, s.SizeBytes)
	if err != nil {
		return fmt.Errorf("mark audit %d succeeded: %w", s.ID, err)
	}
	return nil
}

// Previewed records a dry run's result: the import ran whole and was rolled back.
func Previewed(ctx context.Context, db DB, id int64, result *wippidu.ImportResult) error {
	res, err := json.Marshal(result)
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	_, err = db.Exec(ctx, `UPDATE import_export_audits
		SET status = 'previewed', result = $2, error_message = NULL, finished_at = clock_timestamp(), updated_at = clock_timestamp()
		WHERE id = $1`, id, res)
	if err != nil {
		return fmt.Errorf("mark audit %d previewed: %w", id, err)
	}
	return nil
}

// End records how an attempt ended without success: status is failed or cancelled
// when the job will not run again, queued when it will be retried. The error's
// message is kept in full (messages name tables, columns and rows, never values).
// A succeeded row is never changed: no late report of an attempt undoes the
// record of committed work.
func End(ctx context.Context, db DB, id int64, status Status, cause error) error {
	msg := ""
	if cause != nil {
		msg = cause.Error()
	}
	_, err := db.Exec(ctx, `UPDATE import_export_audits
		SET status = $2, error_message = NULLIF($3, ''), updated_at = now(),
		    finished_at = CASE WHEN $2 IN ('failed', 'cancelled') THEN clock_timestamp() ELSE NULL END
		WHERE id = $1 AND status <> 'succeeded'`, id, status, msg)
	if err != nil {
		return fmt.Errorf("mark audit %d %s: %w", id, status, err)
	}
	return nil
}

// SetStatusByJob brings the audit row of a job in line after an operator retried or
// cancelled the job. A succeeded row is never changed.
func SetStatusByJob(ctx context.Context, db DB, jobID int64, status Status) error {
	_, err := db.Exec(ctx, `UPDATE import_export_audits SET status = $2, updated_at = now(),
		finished_at = CASE WHEN $2 = 'cancelled' THEN now() ELSE NULL END
		WHERE river_job_id = $1 AND status <> 'succeeded'`, jobID, status)
	if err != nil {
		return fmt.Errorf("update audit of job %d: %w", jobID, err)
	}
	return nil
}
