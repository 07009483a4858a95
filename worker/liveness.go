package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/jobs"
)

// LivenessInterval is how often the liveness job runs.
const LivenessInterval = 15 * time.Second

// LivenessWorker finds running exports and imports whose worker died (its named
// session is gone) and hands them back to River for a retry, long before River's
// stuck-job rescue would.
type LivenessWorker struct {
	river.WorkerDefaults[jobs.LivenessArgs]
	deps *Deps
}

// Timeout implements river.Worker.
func (w *LivenessWorker) Timeout(*river.Job[jobs.LivenessArgs]) time.Duration { return time.Minute }

// runningJobsSQL lists running exports and imports older than the grace, whether
// their audit row already says succeeded, and the database sessions alive right
// now; a job whose SessionName is not among them has lost its worker, or its
// worker has just finished and River has not recorded that yet.
const runningJobsSQL = `
SELECT j.id, j.attempt, j.max_attempts, j.kind, COALESCE((j.args->>'audit_id')::bigint, 0),
       EXISTS (SELECT 1 FROM import_export_audits x
               WHERE x.id = (j.args->>'audit_id')::bigint AND x.status = 'succeeded'),
       ARRAY(SELECT a.application_name FROM pg_stat_activity a
             WHERE a.datname = current_database() AND starts_with(a.application_name, $3))
FROM river_job j
WHERE j.state = 'running'
  AND j.kind = ANY($2::text[])
  AND j.attempted_at < now() - $1::interval`

// completeSQL marks one attempt's job completed, as River would when its worker
// returns: for a job whose work is committed and recorded.
const completeSQL = `
UPDATE river_job SET state = 'completed'::river_job_state, finalized_at = now()
WHERE id = $1 AND attempt = $2 AND state = 'running'`

// rescueSQL does what River's own rescuer does, for one job and attempt: retryable
// (or discarded when out of attempts), with the reason in the job's errors.
const rescueSQL = `
UPDATE river_job
SET state = CASE WHEN attempt >= max_attempts THEN 'discarded'::river_job_state ELSE 'retryable'::river_job_state END,
    scheduled_at = now(),
    finalized_at = CASE WHEN attempt >= max_attempts THEN now() ELSE NULL END,
    errors = array_append(errors, jsonb_build_object('at', now(), 'attempt', attempt, 'error', $3::text, 'trace', ''))
WHERE id = $1 AND attempt = $2 AND state = 'running'`

// Work implements river.Worker.
func (w *LivenessWorker) Work(ctx context.Context, _ *river.Job[jobs.LivenessArgs]) error {
	// A live attempt names its session within milliseconds of starting; the grace
	// (JOB_LIVENESS_GRACE) only has to cover a slow start.
	n, err := RescueLostJobs(ctx, w.deps, w.deps.Config.LivenessGrace)
	if n > 0 {
		w.deps.Logger.WarnContext(ctx, "rescued jobs of lost workers", slog.Int("jobs", n))
	}
	return err
}

// RescueLostJobs hands back every running export or import older than grace whose
// named session is gone, and returns how many it rescued. A job whose audit row
// already says succeeded is not handed back but completed: its work is committed
// and recorded, and only River's bookkeeping is missing, because its worker died
// after the commit or because it has just returned and River has not yet marked
// the job completed. Run again, it would replace staging a second time.
func RescueLostJobs(ctx context.Context, deps *Deps, grace time.Duration) (int, error) {
	found, err := lostJobs(ctx, deps, grace)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, j := range found {
		if j.succeeded {
			if err := completeLostJob(ctx, deps, j); err != nil {
				return n, err
			}
			continue
		}
		rescued, err := rescueLostJob(ctx, deps, j)
		if err != nil {
			return n, err
		}
		if rescued {
			n++
		}
	}
	return n, nil
}

// lostJob is a running export or import without its named session.
type lostJob struct {
	id, auditID  int64
	attempt, max int
	kind         string
	succeeded    bool // its audit row says succeeded
}

func lostJobs(ctx context.Context, deps *Deps, grace time.Duration) ([]lostJob, error) {
	rows, err := deps.Pool.Query(ctx, runningJobsSQL, grace.String(), []string{string(wippidu.KindExport), string(wippidu.KindImport)}, sessionPrefix)
	if err != nil {
		return nil, fmt.Errorf("find lost jobs: %w", err)
	}
	var found []lostJob
	var l lostJob
	var sessions []string
	_, err = pgx.ForEachRow(rows, []any{&l.id, &l.attempt, &l.max, &l.kind, &l.auditID, &l.succeeded, &sessions}, func() error {
		if !slices.Contains(sessions, SessionName(l.id, l.attempt)) {
			found = append(found, l)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find lost jobs: %w", err)
	}
	return found, nil
}

func completeLostJob(ctx context.Context, deps *Deps, j lostJob) error {
	tag, err := deps.Pool.Exec(ctx, completeSQL, j.id, j.attempt)
	if err != nil {
		return fmt.Errorf("complete job %d: %w", j.id, err)
	}
	if tag.RowsAffected() > 0 {
		deps.Logger.InfoContext(ctx, "completed a job whose work is recorded as succeeded but whose session is gone",
			slog.Int64("job_id", j.id), slog.Int64("audit_id", j.auditID), slog.String("job_kind", j.kind), slog.Int("attempt", j.attempt))
	}
	return nil
}

// rescueLostJob hands one job back to River and records why in its audit row; it
// reports false when the job finished or moved on meanwhile.
func rescueLostJob(ctx context.Context, deps *Deps, j lostJob) (bool, error) {
	reason := fmt.Sprintf("worker lost: the database session of attempt %d is gone (worker killed or disconnected); nothing was committed", j.attempt)
	tag, err := deps.Pool.Exec(ctx, rescueSQL, j.id, j.attempt, reason)
	if err != nil {
		return false, fmt.Errorf("rescue job %d: %w", j.id, err)
	}
	if tag.RowsAffected() == 0 {
		return false, nil
	}
	jobs.CountRescued()
	status := audit.StatusQueued
	if j.attempt >= j.max {
		status = audit.StatusFailed
	}
	if j.auditID > 0 {
		if err := audit.End(ctx, deps.Pool, j.auditID, status, errors.New(reason)); err != nil {
			return true, err
		}
	}
	deps.Logger.WarnContext(ctx, "rescued job of a lost worker", slog.Int64("job_id", j.id),
		slog.Int64("audit_id", j.auditID), slog.String("job_kind", j.kind), slog.Int("attempt", j.attempt))
	return true, nil
}
