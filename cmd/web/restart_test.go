package main

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wippidu/wippidu/internal/pgcluster"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/internal/poll"
	"github.com/wippidu/wippidu/internal/testdb"
	"github.com/wippidu/wippidu/internal/webclient"
	"github.com/wippidu/wippidu/jobs"
	"github.com/wippidu/wippidu/transfer"
)

// TestPostgresRestartDuringImport restarts PostgreSQL (pg_ctl restart -m fast) on a
// cluster of its own while an import is loading: the attempt rolls back (staging
// as before the import), /readyz answers 503 while the server is away and 200 again
// by itself, and the job is retried to success. Neither the web tier nor the worker
// is restarted.
func TestPostgresRestartDuringImport(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster of its own")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cluster, err := pgcluster.Start(ctx, pgcluster.Config{Dir: filepath.Join(t.TempDir(), "pg")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cluster.Stop() })
	pools := map[string]*pgxpool.Pool{}
	for _, db := range []string{"prod", "staging"} {
		if err := pgcluster.CreateDatabase(ctx, cluster.URL("postgres"), db, ""); err != nil {
			t.Fatal(err)
		}
		if out, err := workerCmd(map[string]string{"DATABASE_URL": cluster.URL(db)}, "migrate").CombinedOutput(); err != nil {
			t.Fatalf("migrate %s: %v\n%s", db, err, out)
		}
		pool, err := pgxpool.New(ctx, cluster.URL(db))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		pools[db] = pool
		testdb.Fixture(t, pool)
	}
	testdb.BulkMessages(t, pools["prod"], 10000)
	testdb.SlowInserts(t, pools["staging"], "messages") // still loading when PostgreSQL restarts
	dir := t.TempDir()
	if out, err := workerCmd(map[string]string{"DATABASE_URL": cluster.URL("prod"), "STORAGE_URL": "file://" + t.TempDir()},
		"export", "--inline", "--out", dir).CombinedOutput(); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "wippidu-export-*.json.gz"))
	if len(files) != 1 {
		t.Fatalf("export: %v", files)
	}
	vars := stagingEnv(t, pools["staging"], cluster.URL("staging"), t.TempDir())
	vars["JOB_LIVENESS_GRACE"] = "5s"
	before := pgtest.Checksums(t, pools["staging"])
	web, addr := startWeb(t, vars)
	worker := startWorker(t, vars)
	c := webclient.New(addr, "staging.wippidu.net")
	if err := c.Login(ctx, "admin@wippidu.example", "admin password"); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sub, err := c.Import(ctx, webclient.ImportForm{ConfirmHost: "staging.wippidu.net"}, f)
	if err != nil {
		t.Fatal(err)
	}
	// Restart while the rows are loading.
	for {
		st, err := c.Status(ctx, sub.AuditID)
		if err != nil {
			t.Fatal(err)
		}
		if st.Done {
			t.Fatalf("the import ended before the restart: %+v", st)
		}
		if st.Phase == "loading" && st.RowsDone > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	ready := func() int {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/readyz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	restarted := make(chan error, 1)
	go func() { restarted <- cluster.Restart(ctx) }()
	sawDown := false
	for done := false; !done; {
		select {
		case err := <-restarted:
			if err != nil {
				t.Fatalf("restart: %v", err)
			}
			done = true
		default:
			sawDown = sawDown || ready() == http.StatusServiceUnavailable
			time.Sleep(10 * time.Millisecond)
		}
	}
	if !sawDown {
		t.Error("/readyz never answered 503 while PostgreSQL was restarting")
	}
	recovered := time.Now().Add(30 * time.Second)
	for ready() != http.StatusOK {
		if time.Now().After(recovered) {
			t.Fatal("/readyz did not recover within 30 s of the restart")
		}
		time.Sleep(100 * time.Millisecond)
	}
	expectFirstAttemptRolledBack(ctx, t, pools["staging"], sub.JobID, before)

	// The job is retried to success: the web tier answers again without a restart.
	var st *jobs.Status
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if st, err = c.Status(ctx, sub.AuditID); err == nil && st.Done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the import did not finish after the restart: %+v %v", st, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !st.Succeeded || st.Attempt < 2 {
		t.Fatalf("after the restart: succeeded %v on attempt %d (%s); want a retried success", st.Succeeded, st.Attempt, st.Error)
	}
	var prod, staging, succeeded int64
	if err := pools["prod"].QueryRow(ctx, "SELECT count(*) FROM messages").Scan(&prod); err != nil {
		t.Fatal(err)
	}
	if err := pools["staging"].QueryRow(ctx, "SELECT count(*) FROM messages").Scan(&staging); err != nil {
		t.Fatal(err)
	}
	if err := pools["staging"].QueryRow(ctx, "SELECT count(*) FROM import_export_audits WHERE kind = 'import' AND status = 'succeeded'").Scan(&succeeded); err != nil {
		t.Fatal(err)
	}
	if staging != prod || succeeded != 1 {
		t.Errorf("staging holds %d messages of production's %d; %d succeeded imports", staging, prod, succeeded)
	}
	for name, p := range map[string]*exec.Cmd{"web": web, "worker": worker} {
		if err := p.Process.Signal(syscall.Signal(0)); err != nil {
			t.Errorf("the %s process is gone: %v", name, err)
		}
	}
}

// expectFirstAttemptRolledBack waits for the job's first attempt to be recorded as
// failed, then compares staging with its state before the import. It holds the
// import lock while it compares, so that no retry can change staging meanwhile;
// when the retry already holds the lock or has already run, there is nothing
// between the attempts left to compare, and it says so.
func expectFirstAttemptRolledBack(ctx context.Context, t *testing.T, pool *pgxpool.Pool, jobID int64, before map[string]string) {
	t.Helper()
	poll.Until(t, "the first attempt's error", time.Minute, func() bool {
		var failed bool
		err := pool.QueryRow(ctx, `SELECT coalesce(array_length(errors, 1), 0) > 0 AND state <> 'running' FROM river_job WHERE id = $1`, jobID).Scan(&failed)
		return err == nil && failed
	})
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	var locked bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", transfer.ImportLockKey).Scan(&locked); err != nil {
		t.Fatal(err)
	}
	if !locked {
		t.Log("the retry already holds the import lock; staging between the attempts not compared")
		return
	}
	defer func() {
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", transfer.ImportLockKey); err != nil {
			t.Error(err)
		}
	}()
	var attempt int
	if err := conn.QueryRow(ctx, "SELECT attempt FROM river_job WHERE id = $1", jobID).Scan(&attempt); err != nil {
		t.Fatal(err)
	}
	if attempt > 1 {
		t.Logf("the retry (attempt %d) has already run; staging between the attempts not compared", attempt)
		return
	}
	pgtest.ExpectUnchanged(t, pool, before, "the attempt the restart cut short", "import_export_audits", "web_sessions", "login_networks", "login_failures")
}

// workerCmd is the worker command with vars as its whole environment.
func workerCmd(vars map[string]string, args ...string) *exec.Cmd {
	c := exec.Command(workerBin, args...)
	c.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir(), "LOG_LEVEL=warn"}
	for k, v := range vars {
		c.Env = append(c.Env, k+"="+v)
	}
	return c
}
