package worker_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/internal/testdb"
	"github.com/wippidu/wippidu/jobs"
	"github.com/wippidu/wippidu/worker"
)

func TestTwentySubmissionsAtOnceEnqueueOneImport(t *testing.T) {
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
	prod := newInstance(t, instanceOpts{})
	testdb.Fixture(t, prod.pool)
	testdb.BulkMessages(t, prod.pool, 30000)
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
	type span struct{ start, end time.Time }
	var spans []span
	for _, id := range ids {
		st := staging.wait(t, id)
		if !st.Succeeded {
			t.Fatalf("job %d: %s %s", id, st.State, st.Error)
		}
		var start, end time.Time
		// started_at is when the successful attempt's import began loading; the
		// audit's finished_at is written by the import's own transaction.
		if err := staging.pool.QueryRow(ctx, `SELECT a.finished_at, (SELECT max(x.at) FROM (SELECT attempted_at AS at FROM river_job WHERE id = $1) x)
			FROM import_export_audits a WHERE a.river_job_id = $1`, id).Scan(&end, &start); err != nil {
			t.Fatal(err)
		}
		spans = append(spans, span{start, end})
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
