package worker

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/config"
	"github.com/wippidu/wippidu/jobs"
)

// scheduledRunTimeout bounds one decision of a schedule: a listing and one
// header, never the import or export itself, which run as jobs of their own.
const scheduledRunTimeout = 5 * time.Minute

// schedules returns the periodic jobs of REFRESH_SCHEDULE and EXPORT_SCHEDULE,
// those that are set. Only River's elected leader enqueues them, so several
// worker processes still decide once per tick. None runs on start: a deploy or
// a restart must not refresh staging or export production off schedule.
func schedules(cfg config.Config) ([]*river.PeriodicJob, error) {
	var out []*river.PeriodicJob
	add := func(name, spec string, args river.JobArgs) error {
		if spec == "" {
			return nil
		}
		s, err := config.ParseSchedule(spec)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, river.NewPeriodicJob(s,
			func() (river.JobArgs, *river.InsertOpts) { return args, nil },
			&river.PeriodicJobOpts{RunOnStart: false}))
		return nil
	}
	if err := add("REFRESH_SCHEDULE", cfg.RefreshSchedule, jobs.ScheduledRefreshArgs{}); err != nil {
		return nil, err
	}
	if err := add("EXPORT_SCHEDULE", cfg.ExportSchedule, jobs.ScheduledExportArgs{}); err != nil {
		return nil, err
	}
	return out, nil
}

// submitter enqueues from inside a job, through the client working it.
func submitter(ctx context.Context, deps *Deps) *jobs.Submitter {
	return &jobs.Submitter{Pool: deps.Pool, Client: river.ClientFromContext[pgx.Tx](ctx), Config: deps.Config}
}

// ranSchedule is how one scheduled run ended.
type ranSchedule struct {
	kind     wippidu.Kind // the job kind the schedule starts
	outcome  string       // jobs.Outcome…
	reason   string       // why nothing was started; empty when something was
	fileName string       // the export looked at, when there was one
}

// record counts the run in the metric and, unless it started something (whose
// own audit row tells), records it in the history with its reason.
func record(ctx context.Context, deps *Deps, r ranSchedule) error {
	jobs.CountScheduledRun(r.kind, r.outcome)
	if r.outcome == jobs.OutcomeStarted {
		return nil
	}
	status, level := audit.StatusSkipped, slog.LevelInfo
	if r.outcome == jobs.OutcomeFailed {
		status, level = audit.StatusFailed, slog.LevelError
	}
	id, times, err := audit.RecordSkip(context.WithoutCancel(ctx), deps.Pool, audit.Skip{Kind: r.kind, Status: status,
		Outcome: r.outcome, FileName: r.fileName, Reason: r.reason})
	deps.Logger.Log(ctx, level, "scheduled "+string(r.kind)+" "+strings.ReplaceAll(r.outcome, "_", " "),
		slog.String("reason", r.reason), slog.Int64("audit_id", id), slog.Int("times", times))
	return err
}

// ScheduledExportWorker runs EXPORT_SCHEDULE: it enqueues an export with
// attachments, as an admin's would be, unless the schedule's previous export is
// still queued or running (a schedule shorter than an export must not pile them up).
type ScheduledExportWorker struct {
	river.WorkerDefaults[jobs.ScheduledExportArgs]
	deps *Deps
}

// Timeout implements river.Worker.
func (w *ScheduledExportWorker) Timeout(*river.Job[jobs.ScheduledExportArgs]) time.Duration {
	return scheduledRunTimeout
}

// Work implements river.Worker.
func (w *ScheduledExportWorker) Work(ctx context.Context, _ *river.Job[jobs.ScheduledExportArgs]) error {
	run := ranSchedule{kind: wippidu.KindExport}
	id, busy, err := jobs.ActiveScheduledExport(ctx, w.deps.Pool)
	switch {
	case err != nil:
		run.outcome, run.reason = jobs.OutcomeFailed, "the scheduled export could not start: "+err.Error()
	case busy:
		run.outcome, run.reason = jobs.OutcomeSkippedBusy, fmt.Sprintf("the scheduled export job #%d is still queued or running", id)
	default:
		s, serr := submitter(ctx, w.deps).Export(ctx, jobs.ExportRequest{RequestedBy: audit.BySchedule,
			IncludeAttachments: true, SourceHost: w.deps.Config.Hostname})
		if err = serr; err != nil {
			run.outcome, run.reason = jobs.OutcomeFailed, "the scheduled export could not start: "+err.Error()
			break
		}
		run.outcome = jobs.OutcomeStarted
		w.deps.Logger.InfoContext(ctx, "scheduled export enqueued", slog.Int64("audit_id", s.AuditID), slog.Int64("job_id", s.JobID))
	}
	if rerr := record(ctx, w.deps, run); rerr != nil && err == nil {
		err = rerr
	}
	return err
}
