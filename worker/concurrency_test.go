package worker_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/rivertype"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/internal/testdb"
	"github.com/wippidu/wippidu/jobs"
	"github.com/wippidu/wippidu/transfer"
	"github.com/wippidu/wippidu/worker"
)

func TestTwentySubmissionsAtOnceEnqueueOneImport(t *testing.T) {
	t.Parallel()
	staging := newInstance(t, instanceOpts{allowImport: true})
	if err := staging.client.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = staging.sub.Import(context.Background(), importRequest(jobs.NewImportKey()))
		}()
	}
	wg.Wait()
	ok, busy := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, wippidu.ErrImportBusy):
			busy++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 || busy != 19 {
		t.Errorf("got %d accepted and %d refused as busy, want 1 and 19", ok, busy)
	}
	if n := countAudits(t, staging.pool, "kind = 'import'"); n != 1 {
		t.Errorf("import audit rows: got %d, want 1", n)
	}
}

func TestTwoWorkersNeverRunTwoImportsAtOnce(t *testing.T) {
	t.Parallel()
	prod := newInstance(t, instanceOpts{})
	testdb.Fixture(t, prod.pool)
	testdb.BulkMessages(t, prod.pool, 6000)
	key, _ := prod.exportFile(t)

	// Two worker clients on the same staging database, as two processes would be.
	staging := newInstance(t, instanceOpts{allowImport: true})
	other, err := worker.NewClient(staging.deps, worker.ClientOptions{Queues: worker.DefaultQueues(2)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := other.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = other.StopAndCancel(c)
	})
	testdb.SlowInserts(t, staging.pool, "messages")

	// Two import jobs inserted by hand, past the unique-job guard, so that only the
	// import's own lock keeps them apart.
	var ids []int64
	for range 2 {
		k := upload(t, prod, staging, key)
		var auditID int64
		if err := staging.pool.QueryRow(ctx, `INSERT INTO import_export_audits (kind, requested_by, object_key) VALUES ('import', 'ops', $1) RETURNING id`, k).Scan(&auditID); err != nil {
			t.Fatal(err)
		}
		args, err := json.Marshal(jobs.ImportArgs{AuditID: auditID, ObjectKey: k})
		if err != nil {
			t.Fatal(err)
		}
		var id int64
		if err := staging.pool.QueryRow(ctx, `INSERT INTO river_job (args, kind, max_attempts, queue, priority, state)
			VALUES ($1, 'import', 5, $2, 1, 'available') RETURNING id`, args, jobs.QueueImports).Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	// Who holds the import lock, sampled while the jobs run: the start of each
	// holder's transaction is when that import began (it takes the lock first).
	holders := watchImportLock(t, staging.pool)
	type span struct{ start, end time.Time }
	var spans []span
	for _, id := range ids {
		st := staging.wait(t, id)
		if !st.Succeeded {
			t.Fatalf("job %d: %s %s", id, st.State, st.Error)
		}
		// The audit's finished_at is written by the import's own transaction.
		var end time.Time
		if err := staging.pool.QueryRow(ctx, `SELECT finished_at FROM import_export_audits WHERE river_job_id = $1`, id).Scan(&end); err != nil {
			t.Fatal(err)
		}
		spans = append(spans, span{end: end})
	}
	starts := holders()
	if len(starts) != 2 {
		t.Fatalf("import transactions seen holding the lock: %v, want 2; spans %v", starts, spans)
	}
	// Each import's transaction is the last one to begin before it finished.
	for i := range spans {
		for _, s := range starts {
			if s.Before(spans[i].end) && s.After(spans[i].start) {
				spans[i].start = s
			}
		}
	}
	var snoozed int
	if err := staging.pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE id = ANY($1) AND (metadata->>'snoozes')::int > 0`, ids).Scan(&snoozed); err != nil {
		t.Fatal(err)
	}
	a, b := spans[0], spans[1]
	overlap := a.start.Before(b.end) && b.start.Before(a.end)
	if overlap {
		t.Errorf("the two imports' final attempts overlap: %v–%v and %v–%v", a.start, a.end, b.start, b.end)
	}
	t.Logf("snoozed jobs: %d; runs %v–%v and %v–%v", snoozed, a.start.Format(time.StampMilli), a.end.Format(time.StampMilli), b.start.Format(time.StampMilli), b.end.Format(time.StampMilli))
	for _, id := range ids {
		j, _ := staging.client.JobGet(ctx, id)
		if j.State != rivertype.JobStateCompleted {
			t.Errorf("job %d: %s", id, j.State)
		}
	}
}

// watchImportLock samples, every 10 ms until the test ends or the returned
// function is called, which transactions hold the import's advisory lock, and
// returns the distinct starts of those transactions.
func watchImportLock(t *testing.T, pool *pgxpool.Pool) func() []time.Time {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	seen := map[time.Time]bool{}
	key := transfer.ImportLockKey
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			var start time.Time
			err := pool.QueryRow(ctx, `SELECT a.xact_start FROM pg_locks l JOIN pg_stat_activity a USING (pid)
				WHERE l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
				AND l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 1`,
				uint32(key>>32), uint32(key)).Scan(&start)
			if err == nil {
				seen[start] = true
			} else if ctx.Err() == nil && !errors.Is(err, pgx.ErrNoRows) {
				t.Logf("sampling the import lock: %v", err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	stop := func() []time.Time {
		cancel()
		<-done
		var starts []time.Time
		for s := range seen {
			starts = append(starts, s)
		}
		return starts
	}
	t.Cleanup(func() { cancel(); <-done })
	return stop
}
