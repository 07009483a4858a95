package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/wippidu/wippidu"
)

const columns = `id, created_at, updated_at, kind, status, requested_by, river_job_id, file_name,
object_key, size_bytes, options, result, error_message, attempts, started_at, finished_at, client_addr`

func scan(row pgx.Row) (*Record, error) {
	var a Record
	err := row.Scan(&a.ID, &a.CreatedAt, &a.UpdatedAt, &a.Kind, &a.Status, &a.RequestedBy, &a.RiverJobID,
		&a.FileName, &a.ObjectKey, &a.SizeBytes, &a.Options, &a.Result, &a.ErrorMessage, &a.Attempts,
		&a.StartedAt, &a.FinishedAt, &a.ClientAddr)
	return &a, err
}

// Get returns one audit row.
func Get(ctx context.Context, db DB, id int64) (*Record, error) {
	return getWhere(ctx, db, `id = $1`, id, "audit")
}

// ByJob returns the audit row of a River job.
func ByJob(ctx context.Context, db DB, jobID int64) (*Record, error) {
	return getWhere(ctx, db, `river_job_id = $1`, jobID, "audit of job")
}

// getWhere returns the audit row that where selects with $1 = arg, or ErrNotFound;
// other errors read "read <what> <arg>: …".
func getWhere(ctx context.Context, db DB, where string, arg int64, what string) (*Record, error) {
	a, err := scan(db.QueryRow(ctx, `SELECT `+columns+` FROM import_export_audits WHERE `+where, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read %s %d: %w", what, arg, err)
	}
	return a, nil
}

// List returns the newest audit rows, newest first.
func List(ctx context.Context, db DB, limit int) ([]*Record, error) {
	rows, err := db.Query(ctx, `SELECT `+columns+` FROM import_export_audits ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("list audits: %w", err)
	}
	defer rows.Close()
	var out []*Record
	for rows.Next() {
		a, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("list audits: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// HasImportedData reports whether this instance holds imported production data
// (a succeeded import exists), which every logged-in user is told by a banner.
func HasImportedData(ctx context.Context, db DB) (bool, error) {
	r, err := LastImport(ctx, db)
	return r != nil, err
}

// LastImport returns the result of the import whose data the instance holds (the
// newest that succeeded), or nil when it holds none.
func LastImport(ctx context.Context, db DB) (*wippidu.ImportResult, error) {
	var raw []byte
	err := db.QueryRow(ctx, `SELECT COALESCE(result, '{}') FROM import_export_audits WHERE kind = $1 AND status = $2
		ORDER BY finished_at DESC NULLS LAST, id DESC LIMIT 1`, wippidu.KindImport, StatusSucceeded).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the last import: %w", err)
	}
	var res wippidu.ImportResult
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, fmt.Errorf("read the last import's result: %w", err)
	}
	return &res, nil
}

// ImportOf returns the audit row of the newest import of the dump stored under
// objectKey, or nil when no import names it.
func ImportOf(ctx context.Context, db DB, objectKey string) (*Record, error) {
	a, err := scan(db.QueryRow(ctx, `SELECT `+columns+` FROM import_export_audits WHERE kind = $1 AND object_key = $2
		ORDER BY id DESC LIMIT 1`, wippidu.KindImport, objectKey))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read import of %s: %w", objectKey, err)
	}
	return a, nil
}

// LastImportRecord returns the audit row of the import whose data the instance
// holds (the newest that succeeded, as LastImport), or nil when it holds none: the
// row says which import it was, who ran it and when.
func LastImportRecord(ctx context.Context, db DB) (*Record, error) {
	a, err := scan(db.QueryRow(ctx, `SELECT `+columns+` FROM import_export_audits WHERE kind = $1 AND status = $2
		ORDER BY finished_at DESC NULLS LAST, id DESC LIMIT 1`, wippidu.KindImport, StatusSucceeded))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the last import: %w", err)
	}
	return a, nil
}
