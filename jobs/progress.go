package jobs

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/wippidu/wippidu/transfer"
)

// PhaseDone is the phase of a finished job's output.
const PhaseDone = "done"

// Output is what a job writes into its row's metadata.output: live progress while it
// runs, and the result once it has succeeded.
type Output struct {
	Phase      string `json:"phase"`
	Table      string `json:"table,omitempty"`
	RowsDone   int64  `json:"rows_done"`
	BytesDone  int64  `json:"bytes_done"`
	BytesTotal int64  `json:"bytes_total"`
	AuditID    int64  `json:"audit_id"`
	Result     any    `json:"result,omitempty"`
}

// reporter publishes a job's progress into its row. JobUpdate commits at once, on a
// pool connection of its own, so progress is visible while the import's transaction
// is still open.
type reporter struct {
	client *river.Client[pgx.Tx]
	jobID  int64
	out    Output
	log    *slog.Logger
}

func newReporter(ctx context.Context, jobID, auditID, total int64, log *slog.Logger) *reporter {
	client, _ := river.ClientFromContextSafely[pgx.Tx](ctx)
	return &reporter{client: client, jobID: jobID, out: Output{BytesTotal: total, AuditID: auditID}, log: log}
}

func (r *reporter) update(ctx context.Context) func(transfer.Progress) {
	return func(p transfer.Progress) {
		r.out.Phase, r.out.Table, r.out.RowsDone, r.out.BytesDone = p.Phase, p.Table, p.RowsDone, p.BytesDone
		if r.client == nil {
			return
		}
		if _, err := r.client.JobUpdate(ctx, r.jobID, &river.JobUpdateParams{Output: r.out}); err != nil && ctx.Err() == nil {
			r.log.WarnContext(ctx, "report progress", slog.Any("error", err))
		}
	}
}

// finish records the final output; River stores it when the attempt completes.
func (r *reporter) finish(ctx context.Context, result any) error {
	r.out.Phase, r.out.Table, r.out.Result = PhaseDone, "", result
	if r.out.BytesTotal > 0 {
		r.out.BytesDone = r.out.BytesTotal
	}
	if r.client == nil {
		return nil
	}
	if err := river.RecordOutput(ctx, r.out); err != nil {
		return fmt.Errorf("record output: %w", err)
	}
	return nil
}

// SessionName is the application_name of the database session that does a job's
// work; the liveness job looks for it to tell a live job from a dead worker's.
func SessionName(jobID int64, attempt int) string {
	return fmt.Sprintf("wippidu-job:%d:%d", jobID, attempt)
}

// jobSession takes a connection for a job's work and names it after the job.
func jobSession(ctx context.Context, pool *pgxpool.Pool, jobID int64, attempt int) (*pgxpool.Conn, func(), error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("acquire connection: %w", err)
	}
	if _, err := conn.Exec(ctx, "SELECT set_config('application_name', $1, false)", SessionName(jobID, attempt)); err != nil {
		conn.Release()
		return nil, nil, fmt.Errorf("name job session: %w", err)
	}
	release := func() {
		if _, err := conn.Exec(context.Background(), "RESET application_name"); err != nil {
			// A connection in an unknown state is not handed back to the pool.
			_ = conn.Conn().Close(context.Background())
		}
		conn.Release()
	}
	return conn, release, nil
}
