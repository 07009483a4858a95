package ops

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/wippidu/wippidu/jobs"
	"github.com/wippidu/wippidu/worker"
)

// deleteQueueSQL removes an inline run's queue once its client has stopped. River
// keeps a row for every queue a client ever served, and the River UI lists it until
// the queue cleaner drops it a day later; nobody serves an inline queue again.
// River has no call that deletes one queue.
const deleteQueueSQL = `DELETE FROM river_queue WHERE name = $1`

// inlineRun is a River client in this process that serves a queue of its own.
type inlineRun struct {
	client *river.Client[pgx.Tx]
	queue  string
	// ended has an event for each of the run's jobs that ends (or fails an
	// attempt): wait looks at the job then, not at its next tick.
	ended <-chan *river.Event
	stop  func() // ends the client and removes the queue
}

// inline starts a River client in this process that serves a queue of its own, so
// that the job runs here, through the same path as on a worker (--inline), with
// deps (the app's, or the same with the storage the job sees replaced).
func (a *app) inline(ctx context.Context, deps *worker.Deps) (*inlineRun, error) {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	queue := "inline_" + hex.EncodeToString(b)
	client, err := worker.NewClient(deps, worker.ClientOptions{Queues: map[string]river.QueueConfig{queue: {MaxWorkers: 1}}})
	if err != nil {
		return nil, err
	}
	ended, _ := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled)
	if err := client.Start(context.WithoutCancel(ctx)); err != nil {
		return nil, fmt.Errorf("start inline client: %w", err)
	}
	stop := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// Stopping the client also ends the subscription.
		_ = client.StopAndCancel(sctx)
		// A job the run leaves unfinished (the command was interrupted) would wait in a
		// queue nobody serves, and hold off every later import: it is cancelled.
		a.cancelLeftOver(sctx, client, queue)
		if _, err := a.pool.Exec(sctx, deleteQueueSQL, queue); err != nil {
			a.logger.WarnContext(sctx, "remove inline queue", slog.String("queue", queue), slog.Any("error", err))
		}
	}
	return &inlineRun{client: client, queue: queue, ended: ended, stop: stop}, nil
}

// cancelLeftOver cancels the jobs an inline run's queue still holds, and says so in
// their audit rows.
func (a *app) cancelLeftOver(ctx context.Context, client *river.Client[pgx.Tx], queue string) {
	res, err := client.JobList(ctx, river.NewJobListParams().Queues(queue).First(10).States(
		rivertype.JobStateAvailable, rivertype.JobStateRetryable, rivertype.JobStateScheduled, rivertype.JobStateRunning))
	if err != nil {
		a.logger.WarnContext(ctx, "list inline jobs", slog.String("queue", queue), slog.Any("error", err))
		return
	}
	for _, j := range res.Jobs {
		job, err := client.JobCancel(ctx, j.ID)
		if err == nil {
			err = jobs.SyncAuditAfterOps(ctx, a.pool, job)
		}
		if err != nil {
			a.logger.WarnContext(ctx, "cancel inline job", slog.Int64("job_id", j.ID), slog.Any("error", err))
		}
	}
}
