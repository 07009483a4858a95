package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/audit"
)

// Status is what an admin polling a job sees (GET /admin/data/jobs/{id}, id being
// the audit id).
type Status struct {
	JobID   int64        `json:"job_id"`   // River's; 0 when none was enqueued (refused, skipped)
	AuditID int64        `json:"audit_id"` // the number people see
	Kind    wippidu.Kind `json:"kind"`
	State   string       `json:"state"` // River's job state, or the audit status once the row is gone
	// AuditStatus is the history row's status: queued, running, succeeded,
	// failed, cancelled, refused, previewed or skipped.
	AuditStatus audit.Status `json:"audit_status"`
	wippidu.Progress
	BytesTotal  int64           `json:"bytes_total"`
	Attempt     int             `json:"attempt"`
	MaxAttempts int             `json:"max_attempts"`
	Error       string          `json:"error,omitempty"`
	Result      json.RawMessage `json:"result,omitempty"`
	FileName    string          `json:"file_name,omitempty"`
	CreatedAt   *time.Time      `json:"created_at,omitempty"`  // from the audit row
	FinishedAt  *time.Time      `json:"finished_at,omitempty"` // from the audit row
	Done        bool            `json:"done"`
	Succeeded   bool            `json:"succeeded"`
	// Preview says the import is a dry run: when it succeeds, nothing changed.
	Preview bool `json:"preview"`

	// Source is where an import's dump came from, as its audit row names it
	// (Source.Label).
	Source string `json:"source,omitempty"`

	// For people, formatted once here for the page, the JSON and the command line.
	PhaseLabel string  `json:"phase_label"`
	Percent    float64 `json:"percent"`
	RowsText   string  `json:"rows_text"`
	BytesText  string  `json:"bytes_text"`
}

// GetStatus combines a job's row (live progress) with its audit row (the lasting
// record, which outlives River's deletion of finished jobs).
func GetStatus(ctx context.Context, client *river.Client[pgx.Tx], db audit.DB, jobID int64) (*Status, error) {
	job, err := client.JobGet(ctx, jobID)
	if err != nil && !errors.Is(err, river.ErrNotFound) {
		return nil, fmt.Errorf("read job %d: %w", jobID, err)
	}
	rec, aerr := audit.ByJob(ctx, db, jobID)
	if aerr != nil && !errors.Is(aerr, audit.ErrNotFound) {
		return nil, aerr
	}
	if job == nil && rec == nil {
		return nil, audit.ErrNotFound
	}
	st := &Status{JobID: jobID}
	if job != nil {
		if k := wippidu.Kind(job.Kind); k != wippidu.KindExport && k != wippidu.KindImport {
			return nil, audit.ErrNotFound
		}
		st.fromJob(job)
	}
	if rec != nil {
		st.fromAudit(rec, job == nil)
	}
	if st.Succeeded {
		st.Phase, st.Table, st.Error = wippidu.PhaseDone, "", ""
	}
	st.describe()
	return st, nil
}

// FromProduction reports whether an import read its dump straight from
// production's storage (SOURCE_STORAGE_URL).
func (st *Status) FromProduction() bool { return st.Source == SourceProduction.Label() }

// describe fills in the figures as people read them.
func (st *Status) describe() {
	st.PhaseLabel = wippidu.PhaseLabel(st.Phase)
	if st.Phase == "" && !st.Done {
		st.PhaseLabel = "Waiting for a worker"
	}
	st.Percent = math.Round(st.Progress.Percent(st.Kind, st.BytesTotal)*10) / 10
	st.RowsText = wippidu.FormatCount(st.RowsDone)
	st.BytesText = wippidu.FormatBytes(st.BytesDone)
	if st.BytesTotal > 0 {
		st.BytesText += " of " + wippidu.FormatBytes(st.BytesTotal)
	}
}

// StatusOfAudit is GetStatus for the job an audit row records: the number people
// see (the audit id) rather than River's. A row without a River job (a refused
// request, a scheduled run that started nothing, a job River has forgotten)
// answers from the row alone, with JobID 0 where no job was ever enqueued.
func StatusOfAudit(ctx context.Context, client *river.Client[pgx.Tx], db audit.DB, auditID int64) (*Status, error) {
	rec, err := audit.Get(ctx, db, auditID)
	if err != nil {
		return nil, err
	}
	if rec.RiverJobID != nil {
		return GetStatus(ctx, client, db, *rec.RiverJobID)
	}
	st := &Status{}
	st.fromAudit(rec, true)
	st.describe()
	return st, nil
}

func (st *Status) fromJob(job *rivertype.JobRow) {
	st.Kind, st.State, st.Attempt, st.MaxAttempts = wippidu.Kind(job.Kind), string(job.State), job.Attempt, job.MaxAttempts
	var out Output
	if raw := job.Output(); len(raw) > 0 && json.Unmarshal(raw, &out) == nil {
		st.Progress, st.BytesTotal = out.Progress, out.BytesTotal
	}
	if n := len(job.Errors); n > 0 {
		st.Error = job.Errors[n-1].Error
	}
	switch job.State {
	case rivertype.JobStateCompleted:
		st.Done, st.Succeeded = true, true
	case rivertype.JobStateCancelled, rivertype.JobStateDiscarded:
		st.Done = true
	}
}

// fromAudit adds what the audit row knows; without a job row (River deleted it) the
// audit row alone says how the job ended.
func (st *Status) fromAudit(rec *audit.Record, jobGone bool) {
	st.AuditID, st.Kind, st.AuditStatus = rec.ID, rec.Kind, rec.Status
	st.CreatedAt, st.FinishedAt = &rec.CreatedAt, rec.FinishedAt
	if rec.FileName != nil {
		st.FileName = *rec.FileName
	}
	if rec.Kind == wippidu.KindImport {
		opts, _ := ImportOptionsOf(rec.Options)
		st.Preview = opts.Preview || rec.Status == audit.StatusPreviewed
		st.Source = opts.From
	}
	if rec.ErrorMessage != nil && (st.Error == "" || rec.Status == audit.StatusFailed) {
		st.Error = *rec.ErrorMessage
	}
	if len(rec.Result) > 0 && string(rec.Result) != "null" {
		st.Result = rec.Result
	}
	if jobGone {
		st.State = string(rec.Status)
		st.Done = audit.Ended(rec.Status)
		st.Succeeded = rec.Status == audit.StatusSucceeded || rec.Status == audit.StatusPreviewed
		// A refused request or a skipped run never started: it has no phase.
		if st.Done && rec.Status != audit.StatusRefused && rec.Status != audit.StatusSkipped {
			st.Phase = wippidu.PhaseDone
		}
	}
}
