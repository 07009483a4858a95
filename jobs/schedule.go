package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/audit"
)

// Outcomes of a scheduled run, as the metric wippidu_scheduled_runs_total and the
// options of a skipped audit row name them.
const (
	OutcomeStarted           = "started"             // an import or export was enqueued
	OutcomeSkippedNone       = "skipped_none"        // no export in the source storage
	OutcomeSkippedTooOld     = "skipped_too_old"     // the newest export is older than REFRESH_MAX_AGE
	OutcomeSkippedNothingNew = "skipped_nothing_new" // the newest export was imported or tried already
	OutcomeSkippedBusy       = "skipped_busy"        // another import, or the schedule's last export, is still going
	OutcomeFailed            = "failed"              // the run itself failed, e.g. the source storage could not be listed
)

// LatestSourceImport returns the newest import of the export stored under key in
// production's storage that imported it, tries or tried to: queued, running,
// succeeded, failed or cancelled. Refusals, skips and previews changed nothing on
// staging and do not count. Nil when there is none.
func LatestSourceImport(ctx context.Context, db audit.DB, key string) (*audit.Record, error) {
	var id int64
	err := db.QueryRow(ctx, `SELECT id FROM import_export_audits
		WHERE kind = $1 AND object_key = $2 AND options->>'source' = $3
		  AND status NOT IN ('refused', 'skipped', 'previewed') AND NOT COALESCE((options->>'preview')::boolean, false)
		ORDER BY id DESC LIMIT 1`, wippidu.KindImport, key, SourceProduction.Label()).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read imports of %s: %w", key, err)
	}
	return audit.Get(ctx, db, id)
}

// ActiveScheduledExport returns the audit id of an export requested by the
// schedule whose job is queued or running, and false when there is none. River's
// job state decides, not the audit status: a job deleted by hand must not stop the
// schedule for good.
func ActiveScheduledExport(ctx context.Context, db audit.DB) (int64, bool, error) {
	var id int64
	err := db.QueryRow(ctx, `SELECT a.id FROM import_export_audits a JOIN river_job j ON j.id = a.river_job_id
		WHERE a.kind = $1 AND a.requested_by = $2 AND j.state = ANY($3::river_job_state[])
		ORDER BY a.id LIMIT 1`, wippidu.KindExport, audit.BySchedule, stateNames(ActiveStates)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("check scheduled exports: %w", err)
	}
	return id, true, nil
}
