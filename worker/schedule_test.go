package worker_test

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/internal/poll"
	"github.com/wippidu/wippidu/internal/testdb"
	"github.com/wippidu/wippidu/jobs"
	"github.com/wippidu/wippidu/pull"
	"github.com/wippidu/wippidu/storage"
	"github.com/wippidu/wippidu/storage/file"
)

// everySecond is the schedule of these tests: a tick comes long before any wait
// below gives up, and many ticks fall into each phase.
const everySecond = "@every 1s"

// stagingWithSchedule is a staging instance whose worker runs REFRESH_SCHEDULE
// every second against production's storage.
func stagingWithSchedule(t *testing.T, source storage.Storage) *instance {
	t.Helper()
	return newInstance(t, instanceOpts{allowImport: true, source: source, periodic: true,
		env: map[string]string{"REFRESH_SCHEDULE": everySecond, "SOURCE_STORAGE_URL": "s3://production/wippidu"}})
}

// TestScheduledRefreshImportsEachNewExportOnce runs the refresh schedule every
// second while production exports twice, the second time while the first export's
// import is still running: each export is imported exactly once, the imports never
// overlap, and every tick that imports nothing leaves its reason in the history,
// one row per reason however many ticks give it.
func TestScheduledRefreshImportsEachNewExportOnce(t *testing.T) {
	prod := newInstance(t, instanceOpts{})
	testdb.Fixture(t, prod.pool)
	runs := scheduledRuns(t)
	staging := stagingWithSchedule(t, prod.store)

	waitSkip(t, staging.pool, "import", "no export in the source storage", 2)

	// Staging's messages are locked the way a reader would hold them: the first
	// import starts and then waits at its TRUNCATE, running for as long as this
	// test wants.
	release := holdTable(t, staging.pool, "messages")
	key1, _ := prod.exportFile(t)
	first := waitScheduledImport(t, staging.pool, key1, audit.StatusRunning)
	waitSkip(t, staging.pool, "import", fmt.Sprintf("nothing new: %s is being imported by job #%d", path.Base(key1), first.ID), 1)
	key2, _ := prod.exportFile(t)
	waitSkip(t, staging.pool, "import", "another import is queued or running", 2)
	if n := countAudits(t, staging.pool, fmt.Sprintf("kind = 'import' AND object_key = '%s'", key2)); n != 0 {
		t.Fatalf("the second export got %d imports while the first was running, want 0", n)
	}
	release()

	waitScheduledImport(t, staging.pool, key1, audit.StatusSucceeded)
	second := waitScheduledImport(t, staging.pool, key2, audit.StatusSucceeded)
	waitSkip(t, staging.pool, "import", fmt.Sprintf("nothing new: %s was imported by job #%d", path.Base(key2), second.ID), 2)

	// Exactly one import per export, every anonymizer on, from production's storage.
	for _, key := range []string{key1, key2} {
		if n := countAudits(t, staging.pool, fmt.Sprintf("kind = 'import' AND status <> 'skipped' AND object_key = '%s'", key)); n != 1 {
			t.Errorf("%s: %d imports, want 1", key, n)
		}
		if n := countAudits(t, staging.pool, fmt.Sprintf(`kind = 'import' AND object_key = '%s' AND requested_by = 'schedule'
			AND options->'anonymizers_off' = '[]' AND options->>'source' = 'production storage'`, key)); n != 1 {
			t.Errorf("%s: %d scheduled imports with every anonymizer on from production storage, want 1", key, n)
		}
	}
	if _, err := prod.store.Stat(context.Background(), key1); err != nil {
		t.Errorf("an import deleted production's export: %v", err)
	}
	expectNoOverlap(t, staging.pool, "kind = 'import' AND status <> 'skipped'")
	expectOneRowPerReason(t, staging.pool, "import")

	got := scheduledRuns(t)
	for outcome, atLeast := range map[string]float64{"started": 2, "skipped_none": 2, "skipped_nothing_new": 2, "skipped_busy": 2} {
		if d := got["import/"+outcome] - runs["import/"+outcome]; d < atLeast || (outcome == "started" && d != atLeast) {
			t.Errorf("wippidu_scheduled_runs_total{kind=import,outcome=%s} moved by %v, want %v%s", outcome, d, atLeast,
				map[bool]string{true: "", false: " or more"}[outcome == "started"])
		}
	}
}

// TestScheduledRefreshSkipsAnOldExportAndDoesNotRetryAFailure: an export older
// than REFRESH_MAX_AGE is not imported; a newer one that fails is tried once, and
// the ticks after say so instead of failing it again.
func TestScheduledRefreshSkipsAnOldExportAndDoesNotRetryAFailure(t *testing.T) {
	src, err := file.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	runs := scheduledRuns(t)
	ctx := context.Background()
	old := `{"schema_version": 1, "app": "wippidu", "source_host": "app.wippidu.net", "exported_at": "2025-01-01T00:00:00Z",
		"include_attachments": true, "tables": []}`
	if _, err := src.Put(ctx, "exports/1/wippidu-export-20250101-000000.json.gz", bytes.NewReader(testdb.Gzip(t, old))); err != nil {
		t.Fatal(err)
	}
	staging := stagingWithSchedule(t, src)
	waitSkip(t, staging.pool, "import", "the newest export, wippidu-export-20250101-000000.json.gz from 2025-01-01 00:00:00 UTC, is older than REFRESH_MAX_AGE (36h)", 2)
	if n := countAudits(t, staging.pool, "kind = 'import' AND status <> 'skipped'"); n != 0 {
		t.Fatalf("imports of an old export: %d, want 0", n)
	}

	name := "wippidu-export-" + time.Now().UTC().Format("20060102-150405") + ".json.gz"
	if _, err := src.Put(ctx, "exports/2/"+name, bytes.NewReader(testdb.Gzip(t, `{"hello": "world"}`))); err != nil {
		t.Fatal(err)
	}
	failed := waitScheduledImport(t, staging.pool, "exports/2/"+name, audit.StatusFailed)
	waitSkip(t, staging.pool, "import", fmt.Sprintf("nothing new: %s was tried by job #%d, which failed", name, failed.ID), 2)
	if n := countAudits(t, staging.pool, "kind = 'import' AND status <> 'skipped'"); n != 1 {
		t.Errorf("imports: %d, want the one that failed", n)
	}
	got := scheduledRuns(t)
	if d := got["import/skipped_too_old"] - runs["import/skipped_too_old"]; d < 2 {
		t.Errorf("skipped_too_old moved by %v, want 2 or more", d)
	}
	if d := got["import/started"] - runs["import/started"]; d != 1 {
		t.Errorf("started moved by %v, want 1", d)
	}
}

// TestScheduledExportSkipsWhileItsExportRuns runs EXPORT_SCHEDULE every second
// while the first scheduled export is held up: no second export starts beside it,
// the ticks say why, and once it is through the schedule exports again.
func TestScheduledExportSkipsWhileItsExportRuns(t *testing.T) {
	runs := scheduledRuns(t)
	prod := newInstance(t, instanceOpts{periodic: true, env: map[string]string{"EXPORT_SCHEDULE": everySecond}})
	testdb.Fixture(t, prod.pool)
	// An export locks every app table before its snapshot; this lock holds it there.
	release := holdTableExclusive(t, prod.pool, "users")
	var first audit.Record
	poll.Until(t, "a scheduled export to be running", 30*time.Second, func() bool {
		r := scheduledRows(t, prod.pool, "kind = 'export' AND status = 'running'")
		if len(r) > 0 {
			first = r[0]
		}
		return len(r) > 0
	})
	waitSkip(t, prod.pool, "export", fmt.Sprintf("the scheduled export job #%d is still queued or running", first.ID), 2)
	release()
	poll.Until(t, "two scheduled exports to succeed", 30*time.Second, func() bool {
		return len(scheduledRows(t, prod.pool, "kind = 'export' AND status = 'succeeded'")) >= 2
	})
	expectNoOverlap(t, prod.pool, "kind = 'export' AND status = 'succeeded'")
	expectOneRowPerReason(t, prod.pool, "export")

	// What the schedule exported is what a scheduled refresh finds.
	listed, err := pull.List(context.Background(), prod.store, pull.Options{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range scheduledRows(t, prod.pool, "kind = 'export' AND status = 'succeeded'") {
		found := false
		for _, e := range listed {
			found = found || (e.Key == *r.ObjectKey && e.IncludeAttachments && e.SourceHost == "staging.wippidu.net")
		}
		if !found {
			t.Errorf("scheduled export #%d (%s) is not listed with attachments and its host: %+v", r.ID, *r.ObjectKey, listed)
		}
	}
	got := scheduledRuns(t)
	if d := got["export/skipped_busy"] - runs["export/skipped_busy"]; d < 2 {
		t.Errorf("export skipped_busy moved by %v, want 2 or more", d)
	}
	if d := got["export/started"] - runs["export/started"]; d < 2 {
		t.Errorf("export started moved by %v, want 2 or more", d)
	}
}

// scheduledRuns reads wippidu_scheduled_runs_total as "kind/outcome" → count.
func scheduledRuns(t *testing.T) map[string]float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	if err := jobs.RegisterMetrics(reg); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "wippidu_scheduled_runs_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			out[labels["kind"]+"/"+labels["outcome"]] = m.GetCounter().GetValue()
		}
	}
	return out
}

// scheduledRows returns the audit rows the schedules wrote that match where,
// oldest first.
func scheduledRows(t *testing.T, pool *pgxpool.Pool, where string) []audit.Record {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT id, status, coalesce(error_message, ''), object_key, options,
			started_at, finished_at
		FROM import_export_audits WHERE requested_by = 'schedule' AND `+where+` ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (audit.Record, error) {
		var a audit.Record
		var msg string
		err := r.Scan(&a.ID, &a.Status, &msg, &a.ObjectKey, &a.Options, &a.StartedAt, &a.FinishedAt)
		a.ErrorMessage = &msg
		return a, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// waitSkip waits until the history holds a skipped run of kind with reason, seen
// at least times times, and returns it.
func waitSkip(t *testing.T, pool *pgxpool.Pool, kind, reason string, times int) audit.Record {
	t.Helper()
	var last []audit.Record
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		last = scheduledRows(t, pool, fmt.Sprintf("kind = '%s' AND status = 'skipped'", kind))
		for _, r := range last {
			if *r.ErrorMessage == reason && r.Times() >= times {
				return r
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, r := range last {
		t.Logf("skipped: %q, %d times", *r.ErrorMessage, r.Times())
	}
	t.Fatalf("no skipped %s with reason %q seen %d times", kind, reason, times)
	return audit.Record{}
}

// waitScheduledImport waits until the scheduled import of key has status.
func waitScheduledImport(t *testing.T, pool *pgxpool.Pool, key string, status audit.Status) audit.Record {
	t.Helper()
	var out audit.Record
	poll.Until(t, "the scheduled import of "+key+" to be "+string(status), 30*time.Second, func() bool {
		r := scheduledRows(t, pool, fmt.Sprintf("kind = 'import' AND object_key = '%s' AND status = '%s'", key, status))
		if len(r) > 0 {
			out = r[0]
		}
		return len(r) > 0
	})
	return out
}

// expectNoOverlap fails when two of the matching scheduled runs ran at once.
func expectNoOverlap(t *testing.T, pool *pgxpool.Pool, where string) {
	t.Helper()
	rs := scheduledRows(t, pool, where)
	for i, a := range rs {
		for _, b := range rs[i+1:] {
			if a.StartedAt == nil || a.FinishedAt == nil || b.StartedAt == nil || b.FinishedAt == nil {
				t.Errorf("#%d or #%d has not run to its end: %+v %+v", a.ID, b.ID, a, b)
				continue
			}
			if a.StartedAt.Before(*b.FinishedAt) && b.StartedAt.Before(*a.FinishedAt) {
				t.Errorf("#%d (%s–%s) and #%d (%s–%s) ran at the same time", a.ID, a.StartedAt, a.FinishedAt, b.ID, b.StartedAt, b.FinishedAt)
			}
		}
	}
}

// expectOneRowPerReason fails when the schedule wrote the same skip twice in a
// row instead of counting the first again.
func expectOneRowPerReason(t *testing.T, pool *pgxpool.Pool, kind string) {
	t.Helper()
	rs := scheduledRows(t, pool, fmt.Sprintf("kind = '%s'", kind))
	for i := 1; i < len(rs); i++ {
		if rs[i].Status == audit.StatusSkipped && rs[i-1].Status == audit.StatusSkipped && *rs[i].ErrorMessage == *rs[i-1].ErrorMessage {
			t.Errorf("rows #%d and #%d both say %q", rs[i-1].ID, rs[i].ID, *rs[i].ErrorMessage)
		}
	}
}

// holdTable locks table against TRUNCATE until the returned function is called.
func holdTable(t *testing.T, pool *pgxpool.Pool, table string) func() {
	t.Helper()
	return lockTable(t, pool, "LOCK TABLE "+pgx.Identifier{table}.Sanitize()+" IN ACCESS SHARE MODE")
}

// holdTableExclusive locks table against every reader until the returned
// function is called.
func holdTableExclusive(t *testing.T, pool *pgxpool.Pool, table string) func() {
	t.Helper()
	return lockTable(t, pool, "LOCK TABLE "+pgx.Identifier{table}.Sanitize()+" IN ACCESS EXCLUSIVE MODE")
}

func lockTable(t *testing.T, pool *pgxpool.Pool, lock string) func() {
	t.Helper()
	tx, err := pool.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(context.Background(), lock); err != nil {
		t.Fatal(err)
	}
	done := false
	release := func() {
		if !done {
			done = true
			_ = tx.Rollback(context.Background())
		}
	}
	t.Cleanup(release)
	return release
}
