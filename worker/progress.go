package worker

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/jobs"
)

// reporter publishes a job's progress into its row. JobUpdate commits at once, on a
// pool connection of its own, so progress is visible while the import's transaction
// is still open.
type reporter struct {
	client *river.Client[pgx.Tx]
	jobID  int64
	out    jobs.Output
	log    *slog.Logger
}

func newReporter(ctx context.Context, jobID, auditID, total int64, log *slog.Logger) *reporter {
	client, _ := river.ClientFromContextSafely[pgx.Tx](ctx)
	return &reporter{client: client, jobID: jobID, out: jobs.Output{BytesTotal: total, AuditID: auditID}, log: log}
}

func (r *reporter) update(ctx context.Context) func(wippidu.Progress) {
	return func(p wippidu.Progress) {
		r.out.Progress = p
		r.publish(ctx)
	}
}

// publish writes the current output into the job row at once.
func (r *reporter) publish(ctx context.Context) error {
	if r.client == nil {
		return nil
	}
	_, err := r.client.JobUpdate(ctx, r.jobID, &river.JobUpdateParams{Output: r.out})
	if err != nil && ctx.Err() == nil {
		r.log.WarnContext(ctx, "report progress", slog.Any("error", err))
	}
	return err
}

// finish records the final output; River stores it when the attempt completes.
func (r *reporter) finish(ctx context.Context, result any) error {
	r.out.Phase, r.out.Table, r.out.Result, r.out.Stored = wippidu.PhaseDone, "", result, nil
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

// sessionPrefix starts the name of every job's database session.
const sessionPrefix = "wippidu-job:"

// SessionName is the application_name of the database session that does a job's
// work; the liveness job looks for it to tell a live job from a dead worker's.
func SessionName(jobID int64, attempt int) string {
	return fmt.Sprintf("%s%d:%d", sessionPrefix, jobID, attempt)
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
