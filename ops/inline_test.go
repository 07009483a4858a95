package ops_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wippidu/wippidu/cli"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/internal/testdb"
	"github.com/wippidu/wippidu/internal/testsalt"
	"github.com/wippidu/wippidu/ops"
)

// cancelOnWrite collects a command's stderr and cancels its context once the
// command says a job is queued: an operator's Ctrl-C while the job runs.
type cancelOnWrite struct {
	mu     sync.Mutex
	b      bytes.Buffer
	cancel context.CancelFunc
}

func (w *cancelOnWrite) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if bytes.Contains(p, []byte(" queued")) && w.cancel != nil {
		w.cancel()
	}
	return w.b.Write(p)
}

func (w *cancelOnWrite) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// runInterruptible runs the worker's command line with the settings in env and
// returns its exit code and stderr. With interrupt, its context is cancelled once
// it says a job is queued: an operator's Ctrl-C while the job runs.
func runInterruptible(env map[string]string, interrupt bool, args ...string) (int, string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &cancelOnWrite{}
	if interrupt {
		stderr.cancel = cancel
	}
	code := ops.Command(ctx, cli.Env{Args: args, Stdout: &bytes.Buffer{}, Stderr: stderr,
		Getenv: func(k string) string { return env[k] }})
	return code, stderr.String()
}

// inlineQueues lists the River queues an inline run made (named inline_<hex>).
func inlineQueues(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	return pgtest.Strings(t, pool, `SELECT name FROM river_queue WHERE name LIKE 'inline%' ORDER BY name`)
}

// TestInlineRunsLeaveNoQueueBehind: `worker export --inline` and `worker import
// --inline` serve a River queue of their own; once the command ends, whether the job
// finished or the command was interrupted, that queue is gone from river_queue (and
// so from the River UI).
func TestInlineRunsLeaveNoQueueBehind(t *testing.T) {
	t.Parallel()
	prodURL, stagingURL := pgtest.NewDB(t), pgtest.NewDB(t)
	prod, staging := pgtest.NewPool(t, prodURL), pgtest.NewPool(t, stagingURL)
	testdb.Fixture(t, prod)
	testdb.Fixture(t, staging)
	prodEnv := map[string]string{"DATABASE_URL": prodURL, "STORAGE_URL": "file://" + t.TempDir(),
		"APP_HOSTNAME": "app.wippidu.net", "LOG_LEVEL": "warn"}
	stagingEnv := map[string]string{"DATABASE_URL": stagingURL, "STORAGE_URL": "file://" + t.TempDir(),
		"APP_HOSTNAME": "staging.wippidu.net", "APP_ALLOW_PROD_IMPORT": "true", "ANONYMIZER_SALT": testsalt.Salt, "LOG_LEVEL": "warn"}
	dumpFile := filepath.Join(t.TempDir(), "prod.json.gz")

	tests := []struct {
		name      string
		pool      *pgxpool.Pool
		env       map[string]string
		args      []string
		interrupt bool
		wantCode  int
	}{
		{"export", prod, prodEnv, []string{"export", "--inline", "--out", dumpFile}, false, 0},
		{"import", staging, stagingEnv, []string{"import", "--inline", "--confirm-host", "staging.wippidu.net", dumpFile}, false, 0},
		{"interrupted import", staging, stagingEnv, []string{"import", "--inline", "--confirm-host", "staging.wippidu.net", dumpFile}, true, 1},
	}
	for _, tt := range tests {
		code, stderr := runInterruptible(tt.env, tt.interrupt, tt.args...)
		if code != tt.wantCode {
			t.Fatalf("%s: got exit %d, want %d\n%s", tt.name, code, tt.wantCode, stderr)
		}
		if tt.interrupt && !strings.Contains(stderr, "stopped waiting") && !strings.Contains(stderr, "canceled") {
			t.Errorf("%s: the command was not interrupted:\n%s", tt.name, stderr)
		}
		if left := inlineQueues(t, tt.pool); len(left) > 0 {
			t.Errorf("%s: got queues %v left in river_queue, want none", tt.name, left)
		}
		// Nor a job nobody will work, holding off the next import.
		var waiting, queued int
		if err := tt.pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM river_job WHERE state NOT IN ('completed', 'cancelled', 'discarded')),
			(SELECT count(*) FROM import_export_audits WHERE status IN ('queued', 'running'))`).Scan(&waiting, &queued); err != nil {
			t.Fatal(err)
		}
		if waiting != 0 || queued != 0 {
			t.Errorf("%s: %d unfinished jobs and %d queued or running audit rows left, want none", tt.name, waiting, queued)
		}
	}
}

// TestInlineRunsEndWhenTheJobEnds: an --inline command learns that its job ended
// from River, in this process, not at the next of its polls: with polls an hour
// apart, an export and an import still end as soon as their jobs do. (Not
// parallel: it changes the package's poll interval.)
func TestInlineRunsEndWhenTheJobEnds(t *testing.T) {
	defer ops.SetPollEvery(time.Hour)()
	prod, staging := newInstance(t, false), newInstance(t, true)
	dumpFile := filepath.Join(t.TempDir(), "prod.json.gz")
	for _, c := range []struct {
		env  map[string]string
		args []string
	}{
		{prod.env, []string{"export", "--inline", "--out", dumpFile}},
		{staging.env, []string{"import", "--inline", "--confirm-host", "staging.wippidu.net", dumpFile}},
	} {
		type result struct {
			code   int
			stderr string
		}
		done := make(chan result, 1)
		go func() {
			code, _, stderr := run(c.env, c.args...)
			done <- result{code, stderr}
		}()
		select {
		case r := <-done:
			if r.code != 0 {
				t.Fatalf("%s: exit %d\n%s", c.args[0], r.code, r.stderr)
			}
		case <-time.After(3 * time.Minute):
			t.Fatalf("%s --inline: still waiting after 3 minutes for a job of a few seconds: it waits for its next poll", c.args[0])
		}
	}
}
