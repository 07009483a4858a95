package main_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/internal/poll"
	"github.com/wippidu/wippidu/internal/testdb"
	"github.com/wippidu/wippidu/jobs"
	"github.com/wippidu/wippidu/storage/file"
	"github.com/wippidu/wippidu/worker"
)

// The tests in this file stop `worker run` processes in the middle of an import
// (SIGKILL at chosen points, SIGTERM while loading) and prove that staging is left
// byte for byte as it was and that another worker then completes the import.

// dumps caches production exports by the number of bulk messages they hold;
// dumpsMu makes tests running in parallel wait for one export of each.
var (
	dumpsMu sync.Mutex
	dumps   = map[int]string{}
)

// prodDump returns a dump of the fixture plus bulk messages, exported once per
// test binary by `worker export --inline`.
func prodDump(t *testing.T, bulk int) string {
	t.Helper()
	dumpsMu.Lock()
	defer dumpsMu.Unlock()
	if f, ok := dumps[bulk]; ok {
		return f
	}
	prod := newInstance(t, false)
	testdb.Fixture(t, prod.pool)
	if bulk > 0 {
		testdb.BulkMessages(t, prod.pool, bulk)
	}
	f := filepath.Join(dumpDir, fmt.Sprintf("prod-%d.json.gz", bulk))
	if code, _, stderr := prod.run(t, "export", "--inline", "--out", f); code != 0 {
		t.Fatalf("export: exit %d\n%s", code, stderr)
	}
	dumps[bulk] = f
	return f
}

// fixtureMessages is how many messages testdb.Fixture holds.
const fixtureMessages = 4

// pendingImport is an import enqueued on a staging instance that holds the
// fixture, the way the web tier enqueues it, with no worker running yet.
type pendingImport struct {
	staging         *instance
	jobID, auditID  int64
	before          map[string]string // staging's checksums, audits aside
	wantMessages    int64             // messages once the dump is imported
	sessionAttempt1 string
}

func enqueueImport(t *testing.T, bulk int, slow bool) *pendingImport {
	t.Helper()
	dumpFile := prodDump(t, bulk)
	staging := newInstance(t, true)
	testdb.Fixture(t, staging.pool)
	if slow {
		// Slow inserts keep the import loading while the test acts.
		testdb.SlowInserts(t, staging.pool, "messages")
	}
	p := &pendingImport{staging: staging, wantMessages: int64(fixtureMessages + bulk)}
	p.before = pgtest.Checksums(t, staging.pool)
	delete(p.before, "import_export_audits")

	store, err := file.New(staging.storageDir)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(dumpFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	key := jobs.NewImportKey()
	if _, err := store.Put(context.Background(), key, f); err != nil {
		t.Fatal(err)
	}
	s, err := submitter(t, staging).Import(context.Background(), jobs.ImportRequest{ImportGate: jobs.ImportGate{ConfirmHost: "staging.wippidu.net", ActualHost: "staging.wippidu.net"},
		RequestedBy: "admin", FileName: "prod.json.gz", ObjectKey: key})
	if err != nil {
		t.Fatal(err)
	}
	p.jobID, p.auditID = s.JobID, s.AuditID
	p.sessionAttempt1 = worker.SessionName(s.JobID, 1)
	return p
}

// phase is the phase the job's first attempt last reported.
func (p *pendingImport) phase(t *testing.T) string {
	t.Helper()
	return str(t, p.staging.pool, fmt.Sprintf(`SELECT metadata->'output'->>'phase' FROM river_job WHERE id = %d`, p.jobID))
}

func (p *pendingImport) waitLoading(t *testing.T, rows int64) {
	t.Helper()
	poll.Until(t, "the import to be loading rows", 2*time.Minute, func() bool {
		return count(t, p.staging.pool, fmt.Sprintf(`SELECT COALESCE((SELECT (metadata->'output'->>'rows_done')::bigint FROM river_job
			WHERE id = %d AND metadata->'output'->>'phase' = 'loading'), 0)`, p.jobID)) > rows
	})
}

// kill SIGKILLs a worker process and reaps it.
func kill(t *testing.T, w *exec.Cmd) {
	t.Helper()
	if err := w.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = w.Wait()
}

// waitSessionGone waits until PostgreSQL has ended the killed attempt's session
// (and with it rolled back its transaction).
func (p *pendingImport) waitSessionGone(t *testing.T) {
	t.Helper()
	poll.Until(t, "the killed import's session to end", time.Minute, func() bool {
		return count(t, p.staging.pool, fmt.Sprintf(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = '%s'`, p.sessionAttempt1)) == 0
	})
}

// assertUnchanged proves every app table byte for byte as before the import.
func (p *pendingImport) assertUnchanged(t *testing.T) {
	t.Helper()
	after := pgtest.Checksums(t, p.staging.pool)
	for table, sum := range p.before {
		if after[table] != sum {
			t.Errorf("table %s changed by the interrupted import", table)
		}
	}
	if len(after) != len(p.before)+1 {
		t.Errorf("tables: got %d, want %d", len(after), len(p.before)+1)
	}
}

// rescue starts another worker and checks that it completes the import in
// attempt number attempts; when that is not the first, the attempt before failed
// with firstError (any error when empty).
func (p *pendingImport) rescue(t *testing.T, attempts int64, firstError string) {
	t.Helper()
	// The retry's speed is not under test: full-speed inserts, and a killed
	// worker's River leadership expired at once rather than after its lease
	// (~20 s), so that the new worker runs the liveness check right away.
	if _, err := p.staging.pool.Exec(context.Background(), `DROP TRIGGER IF EXISTS testdb_slow ON messages;
		UPDATE river_leader SET expires_at = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, "the liveness grace to pass", time.Minute, func() bool {
		return count(t, p.staging.pool, fmt.Sprintf(`SELECT count(*) FROM river_job WHERE id = %d AND attempted_at < now() - interval '3.5 seconds'`, p.jobID)) == 1
	})
	start := time.Now()
	second := startWorker(t, p.staging, "second")
	poll.Until(t, "the import to succeed on the second worker", 3*time.Minute, func() bool {
		return str(t, p.staging.pool, fmt.Sprintf("SELECT state::text FROM river_job WHERE id = %d", p.jobID)) == "completed"
	})
	t.Logf("second worker completed the import in %s", time.Since(start).Round(100*time.Millisecond))
	_ = second.Process.Signal(syscall.SIGTERM)
	_ = second.Wait()

	pool := p.staging.pool
	if n := count(t, pool, fmt.Sprintf("SELECT attempt FROM river_job WHERE id = %d", p.jobID)); n != attempts {
		t.Errorf("attempts: got %d, want %d", n, attempts)
	}
	e := str(t, pool, fmt.Sprintf("SELECT errors[1]->>'error' FROM river_job WHERE id = %d", p.jobID))
	if attempts > 1 && (e == "" || !strings.Contains(e, firstError)) {
		t.Errorf("first attempt's error: got %q, want it to contain %q", e, firstError)
	}
	if attempts == 1 && e != "" {
		t.Errorf("an error was recorded (%q) for an attempt that was not counted", e)
	}
	if n := count(t, pool, "SELECT count(*) FROM import_export_audits WHERE kind = 'import' AND status = 'succeeded'"); n != 1 {
		t.Errorf("succeeded import audits: got %d, want 1", n)
	}
	if n := count(t, pool, fmt.Sprintf("SELECT attempts FROM import_export_audits WHERE id = %d AND status = 'succeeded'", p.auditID)); n != attempts {
		t.Errorf("audit %d: got %d attempts, want %d", p.auditID, n, attempts)
	}
	if n := count(t, pool, "SELECT count(*) FROM messages"); n != p.wantMessages {
		t.Errorf("messages: got %d, want %d", n, p.wantMessages)
	}
}

// blocker is a transaction on its own connection that holds a lock the import
// will need.
type blocker struct {
	tx  pgx.Tx
	pid int
}

func block(t *testing.T, in *instance, sql string) *blocker {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, in.url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	b := &blocker{}
	if b.tx, err = conn.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.tx.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&b.pid); err != nil {
		t.Fatal(err)
	}
	if _, err := b.tx.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return b
}

func (b *blocker) release(t *testing.T) {
	t.Helper()
	if err := b.tx.Rollback(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// waitBlocked waits until the import's session waits for a lock that b holds, in
// phase, with a waiting lock that matches lockWhere (a condition on pg_locks l)
// and a statement that contains query.
func (p *pendingImport) waitBlocked(t *testing.T, b *blocker, phase, lockWhere, query string) {
	t.Helper()
	q := fmt.Sprintf(`SELECT count(*) FROM pg_stat_activity a
		WHERE a.datname = current_database() AND a.application_name = '%s' AND a.wait_event_type = 'Lock' AND %d = ANY(pg_blocking_pids(a.pid))
		  AND strpos(a.query, '%s') > 0
		  AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND NOT l.granted AND %s)`,
		p.sessionAttempt1, b.pid, query, lockWhere)
	poll.Until(t, "the import to wait for the blocking lock", time.Minute, func() bool { return count(t, p.staging.pool, q) == 1 })
	if got := p.phase(t); got != phase {
		t.Fatalf("phase while blocked: got %q, want %q", got, phase)
	}
}

func TestWorkerKilledMidImportRetriesOnAnotherWorker(t *testing.T) {
	t.Parallel()
	p := enqueueImport(t, 20000, true)
	first := startWorker(t, p.staging, "first")
	p.waitLoading(t, 2000)
	kill(t, first)
	p.waitSessionGone(t)
	p.assertUnchanged(t)
	if state := str(t, p.staging.pool, fmt.Sprintf("SELECT state::text FROM river_job WHERE id = %d", p.jobID)); state != "running" {
		t.Fatalf("job state after the kill: %s, want running (nobody has noticed yet)", state)
	}
	p.rescue(t, 2, "worker lost")
}

// TestWorkerKilledWhileResettingSequences pauses the import in its sequence reset
// with a conflicting lock held from another session, kills the worker there, and
// proves that nothing of the loaded, checked data survives.
func TestWorkerKilledWhileResettingSequences(t *testing.T) {
	t.Parallel()
	p := enqueueImport(t, 0, false)
	// ALTER SEQUENCE takes SHARE ROW EXCLUSIVE, which setval's ROW EXCLUSIVE waits for.
	seq := block(t, p.staging, `ALTER SEQUENCE users_id_seq RESTART WITH 1`)
	first := startWorker(t, p.staging, "first")
	p.waitBlocked(t, seq, "resetting_sequences", `l.relation = 'users_id_seq'::regclass`, "setval(")
	kill(t, first)
	seq.release(t)
	p.waitSessionGone(t)
	p.assertUnchanged(t)
	p.rescue(t, 2, "worker lost")
}

// TestWorkerKilledJustBeforeCommit pauses the import in its last statement, the
// audit update inside the import's transaction, by holding the audit row from
// another session; the worker is killed there, with all data loaded and checked.
func TestWorkerKilledJustBeforeCommit(t *testing.T) {
	t.Parallel()
	p := enqueueImport(t, 0, false)
	// The sequence lock holds the import at a known point, after its attempt has
	// marked the audit running, so that the audit row can be taken without a race.
	seq := block(t, p.staging, `ALTER SEQUENCE users_id_seq RESTART WITH 1`)
	first := startWorker(t, p.staging, "first")
	p.waitBlocked(t, seq, "resetting_sequences", `l.relation = 'users_id_seq'::regclass`, "setval(")
	auditLock := block(t, p.staging, fmt.Sprintf(`SELECT id FROM import_export_audits WHERE id = %d FOR UPDATE`, p.auditID))
	seq.release(t)
	p.waitBlocked(t, auditLock, "committing", `l.locktype = 'transactionid'`, "UPDATE import_export_audits")
	kill(t, first)
	auditLock.release(t)
	p.waitSessionGone(t)
	p.assertUnchanged(t)
	if status := str(t, p.staging.pool, fmt.Sprintf("SELECT status FROM import_export_audits WHERE id = %d", p.auditID)); status != string(audit.StatusRunning) {
		t.Errorf("audit after the kill: got %s, want running (the succeeded update was rolled back)", status)
	}
	p.rescue(t, 2, "worker lost")
}

// TestWorkerDrainsThenCancelsOnSIGTERM stops a worker whose import outlasts the
// drain: the process exits promptly, the import rolls back and is retried.
func TestWorkerDrainsThenCancelsOnSIGTERM(t *testing.T) {
	t.Parallel()
	p := enqueueImport(t, 20000, true)
	first := startWorker(t, p.staging, "first", "--drain", "1s")
	p.waitLoading(t, 2000)
	termAt := time.Now()
	if err := first.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code := exitWithin(t, first, 10*time.Second)
	t.Logf("worker exited %s after SIGTERM", time.Since(termAt).Round(100*time.Millisecond))
	if code != 0 {
		t.Errorf("exit code: got %d, want 0", code)
	}
	p.waitSessionGone(t)
	p.assertUnchanged(t)
	// River gives a job that its stopping client cancelled back without counting
	// the attempt when the job returns context.Canceled; when the cancelled COPY
	// reports a closed connection instead, the attempt counts and is retried.
	// Either way the job must be ready to run again, not running and not lost.
	var state string
	var attempt int64
	if err := p.staging.pool.QueryRow(context.Background(), `SELECT state::text, attempt FROM river_job WHERE id = $1`, p.jobID).Scan(&state, &attempt); err != nil {
		t.Fatal(err)
	}
	t.Logf("job after SIGTERM: %s, attempt %d", state, attempt)
	if (state != "retryable" && state != "available") || attempt > 1 {
		t.Fatalf("job after SIGTERM: state %s attempt %d, want retryable or available", state, attempt)
	}
	if status := str(t, p.staging.pool, fmt.Sprintf("SELECT status FROM import_export_audits WHERE id = %d", p.auditID)); status != string(audit.StatusQueued) {
		t.Errorf("audit after SIGTERM: got %s, want queued", status)
	}
	p.rescue(t, attempt+1, "")
}

func TestWorkerExitsPromptlyOnSIGTERMWhenIdle(t *testing.T) {
	t.Parallel()
	in := newInstance(t, true)
	w := startWorker(t, in, "idle")
	poll.Until(t, "the worker to start", time.Minute, func() bool {
		return count(t, in.pool, `SELECT count(*) FROM river_leader`) == 1
	})
	if err := w.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := exitWithin(t, w, 5*time.Second); code != 0 {
		t.Errorf("exit code: got %d, want 0", code)
	}
}

// exitWithin waits for a started process and returns its exit code; it fails the
// test if the process takes longer than d.
func exitWithin(t *testing.T, c *exec.Cmd, d time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(d):
		t.Fatalf("worker still running %s after SIGTERM", d)
		return -1
	}
}
