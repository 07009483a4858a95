package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/wippidu/wippidu"
)

// BySchedule is the requested_by of everything REFRESH_SCHEDULE and
// EXPORT_SCHEDULE start or skip.
const BySchedule = "schedule"

// Skip is a scheduled run that started nothing.
type Skip struct {
	Kind     wippidu.Kind // what the schedule starts
	Status   Status       // StatusSkipped, or StatusFailed when the run itself failed
	Outcome  string       // the run's outcome as the metric names it, kept in the options
	FileName string       // the export the run looked at; empty: none
	Reason   string       // kept as the error message, shown in the history
}

// RecordSkip records a scheduled run that started nothing, with its reason. When
// the latest row the schedule wrote for the same kind says the same (status, file
// and reason), that row is counted again instead: its options' times goes up and
// updated_at and finished_at move to now. A refresh every few minutes that finds
// nothing new thus makes one row, not hundreds, and the history still shows when
// it was first and last seen. It returns the row's id and how often it was seen.
func RecordSkip(ctx context.Context, db DB, s Skip) (id int64, times int, err error) {
	err = db.QueryRow(ctx, `UPDATE import_export_audits
		SET options = jsonb_set(options, '{times}', to_jsonb(COALESCE((options->>'times')::bigint, 1) + 1)),
		    updated_at = clock_timestamp(), finished_at = clock_timestamp()
		WHERE id = (SELECT max(id) FROM import_export_audits WHERE kind = $1 AND requested_by = $2)
		  AND status = $3 AND error_message = $4 AND file_name IS NOT DISTINCT FROM NULLIF($5, '')
		RETURNING id, (options->>'times')::int`,
		s.Kind, BySchedule, s.Status, s.Reason, s.FileName).Scan(&id, &times)
	if err == nil {
		return id, times, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return 0, 0, fmt.Errorf("count skipped %s again: %w", s.Kind, err)
	}
	opts, err := json.Marshal(map[string]any{"times": 1, "outcome": s.Outcome})
	if err != nil {
		return 0, 0, fmt.Errorf("encode audit options: %w", err)
	}
	err = db.QueryRow(ctx, `INSERT INTO import_export_audits (kind, status, requested_by, file_name, options, error_message, finished_at)
		VALUES ($1, $2, $3, NULLIF($4, ''), $5, $6, clock_timestamp()) RETURNING id`,
		s.Kind, s.Status, BySchedule, s.FileName, opts, s.Reason).Scan(&id)
	if err != nil {
		return 0, 0, fmt.Errorf("record skipped %s: %w", s.Kind, err)
	}
	return id, 1, nil
}

// Times is how often a skipped scheduled run was seen in a row (RecordSkip): 1
// for every other row.
func (r *Record) Times() int {
	var o struct {
		Times int `json:"times"`
	}
	if json.Unmarshal(r.Options, &o) != nil || o.Times < 1 {
		return 1
	}
	return o.Times
}
