package worker_test

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/rivertype"

	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/internal/poll"
	"github.com/wippidu/wippidu/internal/testdb"
	"github.com/wippidu/wippidu/jobs"
	"github.com/wippidu/wippidu/storage"
	"github.com/wippidu/wippidu/storage/file"
	"github.com/wippidu/wippidu/worker"
)

// fixedRetry retries after a fixed delay, long enough to look at staging between
// a failed attempt and the next.
type fixedRetry time.Duration

func (f fixedRetry) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(time.Duration(f)) }

func TestTerminatedConnectionRollsBackThenRetrySucceeds(t *testing.T) {
	t.Parallel()
	prod := newInstance(t, instanceOpts{})
	testdb.Fixture(t, prod.pool)
	testdb.BulkMessages(t, prod.pool, 4000)
	staging := newInstance(t, instanceOpts{allowImport: true, retry: fixedRetry(4 * time.Second)})
	testdb.Fixture(t, staging.pool)
	testdb.SlowInserts(t, staging.pool, "messages") // still loading when its session is terminated
	before := pgtest.Checksums(t, staging.pool)
	delete(before, "import_export_audits")

	key, _ := prod.exportFile(t)
	s, err := staging.sub.Import(context.Background(), importRequest(upload(t, prod, staging, key)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	poll.Until(t, "rows loading", time.Minute, func() bool {
		st, err := jobs.GetStatus(ctx, staging.client, staging.pool, s.JobID)
		return err == nil && st.Phase == "loading" && st.RowsDone > 0
	})
	var killed int
	if err := staging.pool.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`,
		worker.SessionName(s.JobID, 1)).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed != 1 {
		t.Fatalf("terminated %d sessions, want the import's one", killed)
	}
	poll.Until(t, "attempt 1 to fail", time.Minute, func() bool {
		// River's scheduler may already have made it available again; the
		// retry policy holds the next attempt back for a few seconds.
		j, err := staging.client.JobGet(ctx, s.JobID)
		return err == nil && len(j.Errors) == 1 && j.State != rivertype.JobStateRunning
	})
	pgtest.ExpectUnchanged(t, staging.pool, before, "the interrupted import")
	a, _ := audit.Get(ctx, staging.pool, s.AuditID)
	if a.Status != audit.StatusQueued || a.ErrorMessage == nil {
		t.Errorf("audit between attempts: got %s %v, want queued with the error", a.Status, a.ErrorMessage)
	}

	st := staging.wait(t, s.JobID)
	if !st.Succeeded || st.Attempt != 2 {
		t.Fatalf("after retry: succeeded %v attempt %d error %s", st.Succeeded, st.Attempt, st.Error)
	}
	if n := countAudits(t, staging.pool, "kind = 'import' AND status = 'succeeded'"); n != 1 {
		t.Errorf("succeeded import audits: got %d, want exactly 1", n)
	}
	var msgs int
	if err := staging.pool.QueryRow(ctx, "SELECT count(*) FROM messages").Scan(&msgs); err != nil {
		t.Fatal(err)
	}
	if msgs != 4004 {
		t.Errorf("messages after import: got %d, want 4004", msgs)
	}
}

func TestLivenessRescuesOnlyJobsWithoutTheirSession(t *testing.T) {
	t.Parallel()
	staging := newInstance(t, instanceOpts{allowImport: true})
	ctx := context.Background()
	if err := staging.client.Stop(ctx); err != nil { // nothing may pick the jobs up
		t.Fatal(err)
	}
	insertRunning := func(args jobs.ExportArgs) int64 {
		t.Helper()
		res, err := staging.client.Insert(ctx, args, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := staging.pool.Exec(ctx, `UPDATE river_job SET state = 'running', attempt = 1,
			attempted_at = now() - interval '10 minutes' WHERE id = $1`, res.Job.ID); err != nil {
			t.Fatal(err)
		}
		return res.Job.ID
	}
	var auditID int64
	if err := staging.pool.QueryRow(ctx, `INSERT INTO import_export_audits (kind, status, requested_by) VALUES ('export', 'running', 'x') RETURNING id`).Scan(&auditID); err != nil {
		t.Fatal(err)
	}
	dead := insertRunning(jobs.ExportArgs{AuditID: auditID})
	alive := insertRunning(jobs.ExportArgs{})

	// The live job's worker holds its named session.
	conn, err := pgx.Connect(ctx, staging.pool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SELECT set_config('application_name', $1, false)", worker.SessionName(alive, 1)); err != nil {
		t.Fatal(err)
	}

	n, err := worker.RescueLostJobs(ctx, staging.deps, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("rescued: got %d, want 1", n)
	}
	for id, want := range map[int64]rivertype.JobState{dead: rivertype.JobStateRetryable, alive: rivertype.JobStateRunning} {
		j, err := staging.client.JobGet(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if j.State != want {
			t.Errorf("job %d: got %s, want %s", id, j.State, want)
		}
	}
	j, _ := staging.client.JobGet(ctx, dead)
	if len(j.Errors) != 1 || !strings.Contains(j.Errors[0].Error, "worker lost") {
		t.Errorf("rescued job errors: %+v", j.Errors)
	}
	a, _ := audit.Get(ctx, staging.pool, auditID)
	if a.Status != audit.StatusQueued || a.ErrorMessage == nil || !strings.Contains(*a.ErrorMessage, "worker lost") {
		t.Errorf("audit of rescued job: %s %v", a.Status, a.ErrorMessage)
	}
	// A job younger than the grace is left alone even without a session.
	young, err := staging.client.Insert(ctx, jobs.ExportArgs{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := staging.pool.Exec(ctx, `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = now() WHERE id = $1`, young.Job.ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := worker.RescueLostJobs(ctx, staging.deps, time.Minute); n != 0 {
		t.Errorf("rescued a job within its grace: %d", n)
	}
}

// TestLivenessCompletesJobsWhoseWorkSucceeded: a job whose session is gone but
// whose audit row says succeeded (its worker died after the commit, or returned a
// moment ago and River has not marked it yet) is completed, never handed back to
// run a second time, and its audit row stays succeeded.
func TestLivenessCompletesJobsWhoseWorkSucceeded(t *testing.T) {
	t.Parallel()
	staging := newInstance(t, instanceOpts{allowImport: true})
	ctx := context.Background()
	if err := staging.client.Stop(ctx); err != nil { // nothing may pick the job up
		t.Fatal(err)
	}
	var auditID int64
	if err := staging.pool.QueryRow(ctx, `INSERT INTO import_export_audits (kind, status, requested_by) VALUES ('import', 'running', 'x') RETURNING id`).Scan(&auditID); err != nil {
		t.Fatal(err)
	}
	if err := audit.Succeed(ctx, staging.pool, audit.Success{ID: auditID, Result: map[string]int{"rows": 1}}); err != nil {
		t.Fatal(err)
	}
	res, err := staging.client.Insert(ctx, jobs.ImportArgs{AuditID: auditID, ObjectKey: "imports/x.json.gz"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := staging.pool.Exec(ctx, `UPDATE river_job SET state = 'running', attempt = 1,
		attempted_at = now() - interval '10 minutes' WHERE id = $1`, res.Job.ID); err != nil {
		t.Fatal(err)
	}

	n, err := worker.RescueLostJobs(ctx, staging.deps, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("rescued: got %d, want 0", n)
	}
	j, err := staging.client.JobGet(ctx, res.Job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != rivertype.JobStateCompleted || len(j.Errors) != 0 {
		t.Errorf("job whose work succeeded: got %s with errors %+v, want completed without errors", j.State, j.Errors)
	}
	// A late report of a failed attempt does not undo the record either.
	if err := audit.End(ctx, staging.pool, auditID, audit.StatusQueued, errors.New("worker lost")); err != nil {
		t.Fatal(err)
	}
	if a, _ := audit.Get(ctx, staging.pool, auditID); a.Status != audit.StatusSucceeded || a.ErrorMessage != nil {
		t.Errorf("audit of the succeeded job: got %s %v, want succeeded without error", a.Status, a.ErrorMessage)
	}
}

func TestCancelledImportRollsBack(t *testing.T) {
	t.Parallel()
	prod := newInstance(t, instanceOpts{})
	testdb.Fixture(t, prod.pool)
	testdb.BulkMessages(t, prod.pool, 10000)
	staging := newInstance(t, instanceOpts{allowImport: true})
	testdb.Fixture(t, staging.pool)
	testdb.SlowInserts(t, staging.pool, "messages")
	before := pgtest.Checksums(t, staging.pool)
	delete(before, "import_export_audits")
	ctx := context.Background()

	key, _ := prod.exportFile(t)
	uploaded := upload(t, prod, staging, key)
	s, err := staging.sub.Import(ctx, importRequest(uploaded))
	if err != nil {
		t.Fatal(err)
	}
	poll.Until(t, "rows loading", time.Minute, func() bool {
		st, err := jobs.GetStatus(ctx, staging.client, staging.pool, s.JobID)
		return err == nil && st.Phase == "loading" && st.RowsDone > 0
	})
	if _, err := staging.client.JobCancel(ctx, s.JobID); err != nil {
		t.Fatal(err)
	}
	st := staging.wait(t, s.JobID)
	if st.Succeeded || st.State != string(rivertype.JobStateCancelled) {
		t.Fatalf("cancelled import: state %s", st.State)
	}
	a, _ := audit.Get(ctx, staging.pool, s.AuditID)
	if a.Status != audit.StatusCancelled || a.ErrorMessage == nil || !strings.Contains(*a.ErrorMessage, "cancelled") {
		t.Errorf("audit: %s %v", a.Status, a.ErrorMessage)
	}
	// A cancelled import's upload, production's raw data, is deleted at once.
	if _, err := staging.store.Stat(ctx, uploaded); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the cancelled import's upload: %v, want it deleted", err)
	}
	pgtest.ExpectUnchanged(t, staging.pool, before, "the cancelled import")
}

// flakyStore is the real file store whose downloads break once, part-way through,
// the way a storage server that goes away mid-download does: the first download
// that gets past failAfter bytes breaks there.
type flakyStore struct {
	storage.Storage
	failAfter int64
	failed    atomic.Bool
}

func (f *flakyStore) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	rc, err := f.Storage.Open(ctx, key)
	if err != nil || f.failed.Load() {
		return rc, err
	}
	return &breakingReader{ReadCloser: rc, left: f.failAfter, failed: &f.failed}, nil
}

type breakingReader struct {
	io.ReadCloser
	left   int64
	failed *atomic.Bool
}

func (b *breakingReader) Read(p []byte) (int, error) {
	if b.left <= 0 && !b.failed.Swap(true) {
		return 0, errors.New("read tcp 127.0.0.1:9000: connection reset by peer")
	}
	if b.left <= 0 {
		return b.ReadCloser.Read(p)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}

func TestStorageFailureMidDownloadRollsBackThenRetrySucceeds(t *testing.T) {
	t.Parallel()
	prod := newInstance(t, instanceOpts{})
	testdb.Fixture(t, prod.pool)
	testdb.BulkMessages(t, prod.pool, 20000)
	files, err := file.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	store := &flakyStore{Storage: files}
	staging := newInstance(t, instanceOpts{allowImport: true, store: store, retry: fixedRetry(3 * time.Second)})
	testdb.Fixture(t, staging.pool)
	before := pgtest.Checksums(t, staging.pool)
	delete(before, "import_export_audits")
	ctx := context.Background()

	key, size := prod.exportFile(t)
	store.failAfter = size / 2
	s, err := staging.sub.Import(ctx, importRequest(upload(t, prod, staging, key)))
	if err != nil {
		t.Fatal(err)
	}
	poll.Until(t, "attempt 1 to fail", time.Minute, func() bool {
		j, err := staging.client.JobGet(ctx, s.JobID)
		return err == nil && len(j.Errors) == 1 && j.State != rivertype.JobStateRunning
	})
	pgtest.ExpectUnchanged(t, staging.pool, before, "the broken download")
	j, _ := staging.client.JobGet(ctx, s.JobID)
	if !strings.Contains(j.Errors[0].Error, "connection reset") {
		t.Errorf("first attempt's error: %q", j.Errors[0].Error)
	}
	st := staging.wait(t, s.JobID)
	if !st.Succeeded || st.Attempt != 2 {
		t.Fatalf("after retry: succeeded %v attempt %d (%s)", st.Succeeded, st.Attempt, st.Error)
	}
	if n := countAudits(t, staging.pool, "kind = 'import' AND status = 'succeeded'"); n != 1 {
		t.Errorf("succeeded import audits: got %d, want 1", n)
	}
}
