package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/jobs"
	"github.com/wippidu/wippidu/pull"
)

// ScheduledRefreshWorker runs REFRESH_SCHEDULE on staging: it imports the newest
// export in production's storage (SOURCE_STORAGE_URL) when it is young enough and
// not imported or tried before, with every anonymizer on; a schedule has nobody
// to acknowledge an opt-out. It only decides and enqueues: the import is an
// ordinary import job, requested by "schedule", one at a time like every other.
type ScheduledRefreshWorker struct {
	river.WorkerDefaults[jobs.ScheduledRefreshArgs]
	deps *Deps
}

// Timeout implements river.Worker.
func (w *ScheduledRefreshWorker) Timeout(*river.Job[jobs.ScheduledRefreshArgs]) time.Duration {
	return scheduledRunTimeout
}

// Work implements river.Worker. Every run ends in the metric, and every run that
// starts nothing in the history with its reason.
func (w *ScheduledRefreshWorker) Work(ctx context.Context, _ *river.Job[jobs.ScheduledRefreshArgs]) error {
	sub := submitter(ctx, w.deps)
	run, export, err := w.decide(ctx, sub, time.Now())
	if err == nil && run.outcome == jobs.OutcomeStarted {
		var s jobs.Submitted
		s, err = sub.Import(ctx, jobs.ImportRequest{
			ImportGate:  jobs.ImportGate{ConfirmHost: w.deps.Config.Hostname, ActualHost: w.deps.Config.Hostname},
			RequestedBy: audit.BySchedule, FileName: export.Name, ObjectKey: export.Key, Size: export.Size,
			Source: jobs.SourceProduction,
		})
		if errors.Is(err, wippidu.ErrImportBusy) { // an import was submitted since decide looked
			run.outcome, run.reason, err = jobs.OutcomeSkippedBusy, reasonBusy, nil
		} else if err == nil {
			w.deps.Logger.InfoContext(ctx, "scheduled refresh enqueued", slog.String("file", export.Name),
				slog.Int64("audit_id", s.AuditID), slog.Int64("job_id", s.JobID))
		}
	}
	if err != nil {
		run.outcome, run.reason = jobs.OutcomeFailed, "the scheduled refresh could not run: "+err.Error()
	}
	if rerr := record(ctx, w.deps, run); rerr != nil && err == nil {
		err = rerr
	}
	return err
}

// Reasons a scheduled refresh gives for importing nothing (the export's name and
// times complete the others).
const (
	reasonNone = "no export in the source storage"
	reasonBusy = "another import is queued or running"
)

// decide says what the scheduled refresh does now: import the newest export
// (OutcomeStarted, with the export), or skip it, and why. The checks go from
// what ops must fix (production stopped exporting) to what passes by itself.
func (w *ScheduledRefreshWorker) decide(ctx context.Context, sub *jobs.Submitter, now time.Time) (ranSchedule, pull.Export, error) {
	run := ranSchedule{kind: wippidu.KindImport}
	if w.deps.Source == nil {
		return run, pull.Export{}, errors.New("this worker has no SOURCE_STORAGE_URL")
	}
	opts := w.deps.PullOptions()
	opts.Limit = 1
	newest, err := pull.List(ctx, w.deps.Source, opts)
	if err != nil {
		return run, pull.Export{}, err
	}
	if len(newest) == 0 {
		run.outcome, run.reason = jobs.OutcomeSkippedNone, reasonNone
		return run, pull.Export{}, nil
	}
	e := newest[0]
	run.fileName = e.Name
	if maxAge := w.deps.Config.RefreshMaxAge; now.Sub(e.Time()) > maxAge {
		run.outcome = jobs.OutcomeSkippedTooOld
		run.reason = fmt.Sprintf("the newest export, %s from %s, is older than REFRESH_MAX_AGE (%s)",
			e.Name, e.Time().UTC().Format("2006-01-02 15:04:05 UTC"), shortDuration(maxAge))
		return run, e, nil
	}
	prev, err := jobs.LatestSourceImport(ctx, w.deps.Pool, e.Key)
	if err != nil {
		return run, e, err
	}
	if prev != nil {
		run.outcome, run.reason = jobs.OutcomeSkippedNothingNew, nothingNew(e.Name, prev)
		return run, e, nil
	}
	active, err := sub.ImportActive(ctx)
	if err != nil {
		return run, e, err
	}
	if active {
		run.outcome, run.reason = jobs.OutcomeSkippedBusy, reasonBusy
		return run, e, nil
	}
	run.outcome = jobs.OutcomeStarted
	return run, e, nil
}

// nothingNew says which import of the newest export there already was. A failed
// import is not tried again by the schedule: the same dump would most likely fail
// the same way, every tick; an admin imports it by hand once the cause is fixed,
// or the next export is taken.
func nothingNew(name string, prev *audit.Record) string {
	switch prev.Status {
	case audit.StatusSucceeded:
		return fmt.Sprintf("nothing new: %s was imported by job #%d", name, prev.ID)
	case audit.StatusQueued, audit.StatusRunning:
		return fmt.Sprintf("nothing new: %s is being imported by job #%d", name, prev.ID)
	case audit.StatusCancelled:
		return fmt.Sprintf("nothing new: %s was tried by job #%d, which was cancelled", name, prev.ID)
	}
	return fmt.Sprintf("nothing new: %s was tried by job #%d, which failed", name, prev.ID)
}

// shortDuration writes 36h rather than Go's 36h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
