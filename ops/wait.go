package ops

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/wippidu/wippidu/jobs"
)

// pollEvery is how often wait looks at a job's progress.
var pollEvery = 500 * time.Millisecond

// wait polls a job until it ends, printing progress to stderr. When the job runs
// in this process (--inline), ended wakes it as soon as the job ends; nil otherwise.
func (a *app) wait(ctx context.Context, client *river.Client[pgx.Tx], jobID int64, ended <-chan *river.Event) (*jobs.Status, error) {
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	last := ""
	for {
		st, err := jobs.GetStatus(ctx, client, a.pool, jobID)
		if err != nil {
			return nil, err
		}
		line := progressLine(st)
		if line != last {
			fmt.Fprintln(a.env.Stderr, line)
			last = line
		}
		if st.Done {
			if st.Succeeded {
				return st, nil
			}
			return st, fmt.Errorf("%s #%d %s (River job %d): %s", st.Kind, st.AuditID, st.AuditStatus, jobID, st.Error)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("stopped waiting for %s #%d (River job %d; it goes on, see `worker jobs list`): %w",
				st.Kind, st.AuditID, jobID, ctx.Err())
		case <-tick.C:
		case <-ended:
		}
	}
}

// progressLine is one line of a job's progress, in the words and figures of the
// page (jobs.Status formats them once for both).
func progressLine(st *jobs.Status) string {
	s := fmt.Sprintf("%s #%d: %s", st.Kind, st.AuditID, st.State)
	if st.PhaseLabel != "" {
		s += ", " + st.PhaseLabel
	}
	if st.Table != "" {
		s += " " + st.Table
	}
	if st.RowsDone > 0 {
		s += ", " + st.RowsText + " rows"
	}
	if st.BytesDone > 0 || st.BytesTotal > 0 {
		s += ", " + st.BytesText
	}
	s += fmt.Sprintf(", %.0f %%", st.Percent)
	if st.Error != "" && !st.Done {
		s += " (last error: " + st.Error + ")"
	}
	return s
}
