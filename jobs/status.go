package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Status is what an admin polling a job sees (GET /admin/data/jobs/{id}).
type Status struct {
	JobID       int64           `json:"job_id"`
	AuditID     int64           `json:"audit_id"`
	Kind        string          `json:"kind"`
	State       string          `json:"state"`        // River's job state, or the audit status once the row is gone
	AuditStatus string          `json:"audit_status"` // queued, running, succeeded, failed, cancelled
	Phase       string          `json:"phase"`
	Table       string          `json:"table"`
	RowsDone    int64           `json:"rows_done"`
	BytesDone   int64           `json:"bytes_done"`
	BytesTotal  int64           `json:"bytes_total"`
	Attempt     int             `json:"attempt"`
	MaxAttempts int             `json:"max_attempts"`
	Error       string          `json:"error,omitempty"`
	Result      json.RawMessage `json:"result,omitempty"`
	FileName    string          `json:"file_name,omitempty"`
	Done        bool            `json:"done"`
	Succeeded   bool            `json:"succeeded"`
}

// GetStatus combines a job's row (live progress) with its audit row (the lasting
// record, which outlives River's deletion of finished jobs).
func GetStatus(ctx context.Context, client *river.Client[pgx.Tx], db querier, jobID int64) (*Status, error) {
	st := &Status{JobID: jobID}
	job, err := client.JobGet(ctx, jobID)
	if err != nil && !errors.Is(err, river.ErrNotFound) {
		return nil, fmt.Errorf("read job %d: %w", jobID, err)
	}
	audit, aerr := AuditByJob(ctx, db, jobID)
	if aerr != nil && !errors.Is(aerr, ErrNotFound) {
		return nil, aerr
	}
	if job == nil && audit == nil {
		return nil, ErrNotFound
	}
	if job != nil {
		if job.Kind != "export" && job.Kind != "import" {
			return nil, ErrNotFound
		}
		st.Kind, st.State, st.Attempt, st.MaxAttempts = job.Kind, string(job.State), job.Attempt, job.MaxAttempts
		var out Output
		if raw := job.Output(); len(raw) > 0 {
			if err := json.Unmarshal(raw, &out); err == nil {
				st.Phase, st.Table, st.RowsDone, st.BytesDone, st.BytesTotal = out.Phase, out.Table, out.RowsDone, out.BytesDone, out.BytesTotal
			}
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
	if audit != nil {
		st.AuditID, st.Kind, st.AuditStatus = audit.ID, audit.Kind, audit.Status
		if audit.FileName != nil {
			st.FileName = *audit.FileName
		}
		if audit.ErrorMessage != nil && (st.Error == "" || audit.Status == StatusFailed) {
			st.Error = *audit.ErrorMessage
		}
		if len(audit.Result) > 0 && string(audit.Result) != "null" {
			st.Result = audit.Result
		}
		if job == nil {
			st.State = audit.Status
			st.Done = audit.Status == StatusSucceeded || audit.Status == StatusFailed || audit.Status == StatusCancelled
			st.Succeeded = audit.Status == StatusSucceeded
			if st.Done {
				st.Phase = PhaseDone
			}
		}
	}
	if st.Succeeded {
		st.Phase, st.Table, st.Error = PhaseDone, "", ""
	}
	return st, nil
}
