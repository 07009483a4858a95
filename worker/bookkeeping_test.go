package worker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/rivertype"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/internal/testdb"
	"github.com/wippidu/wippidu/jobs"
	"github.com/wippidu/wippidu/storage"
	"github.com/wippidu/wippidu/storage/file"
	"github.com/wippidu/wippidu/transfer"
	"github.com/wippidu/wippidu/worker"
)

// countingStore is a real file store that counts the objects written to it.
type countingStore struct {
	storage.Storage
	puts atomic.Int32
}

func (s *countingStore) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	s.puts.Add(1)
	return s.Storage.Put(ctx, key, r)
}

// failSucceededOnce makes PostgreSQL refuse the first n updates that mark an audit
// row succeeded, as an overloaded server would (serialization failure, which a
// retry can fix). A sequence counts them: it is not rolled back with the refusal.
func failSucceededOnce(t *testing.T, pool *pgxpool.Pool, n int) {
	t.Helper()
	_, err := pool.Exec(context.Background(), fmt.Sprintf(`
		CREATE SEQUENCE audit_refusals;
		CREATE FUNCTION refuse_success() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.status = 'succeeded' AND nextval('audit_refusals') <= %d THEN
				RAISE EXCEPTION 'recording refused by the test' USING ERRCODE = '40001';
			END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER refuse_success BEFORE UPDATE ON import_export_audits
			FOR EACH ROW EXECUTE FUNCTION refuse_success();`, n))
	if err != nil {
		t.Fatal(err)
	}
}

// TestExportBookkeepingFailureNeverExportsTwice fails the step that records a
// finished export: the next attempt records it from the job's row instead of
// exporting again, and the one file is in storage.
func TestExportBookkeepingFailureNeverExportsTwice(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fs, err := file.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	store := &countingStore{Storage: fs}
	prod := newInstance(t, instanceOpts{store: store, retry: fixedRetry(time.Second)})
	testdb.Fixture(t, prod.pool)
	failSucceededOnce(t, prod.pool, 1)
	ctx := context.Background()

	s, err := prod.sub.Export(ctx, jobs.ExportRequest{RequestedBy: "admin@wippidu.example", IncludeAttachments: true, SourceHost: "app.wippidu.net"})
	if err != nil {
		t.Fatal(err)
	}
	st := prod.wait(t, s.JobID)
	if !st.Succeeded || st.Attempt != 2 {
		t.Fatalf("export: succeeded %v after %d attempts (%s), want success on attempt 2", st.Succeeded, st.Attempt, st.Error)
	}
	if n := store.puts.Load(); n != 1 {
		t.Errorf("exports written to storage: got %d, want 1", n)
	}
	job, err := prod.client.JobGet(ctx, s.JobID)
	if err != nil {
		t.Fatal(err)
	}
	if len(job.Errors) != 1 || !strings.Contains(job.Errors[0].Error, "is stored as wippidu-export-") ||
		!strings.Contains(job.Errors[0].Error, "recording its outcome failed") {
		t.Errorf("attempt 1's error: got %+v, want the stored file named and the recording failure", job.Errors)
	}
	rec, err := audit.Get(ctx, prod.pool, s.AuditID)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := store.List(ctx, "exports/")
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || rec.ObjectKey == nil || objs[0].Key != *rec.ObjectKey || rec.SizeBytes == nil || *rec.SizeBytes != objs[0].Size {
		t.Fatalf("storage holds %+v; audit names %v (%v bytes): want the one file, recorded", objs, rec.ObjectKey, rec.SizeBytes)
	}
	var res wippidu.ExportResult
	if err := json.Unmarshal(rec.Result, &res); err != nil || res.Rows == 0 || rec.Status != audit.StatusSucceeded || rec.ErrorMessage != nil {
		t.Errorf("audit: %s, error %v, result %s (%v)", rec.Status, rec.ErrorMessage, rec.Result, err)
	}
}

// TestDeterministicExportErrorEndsAtOnce has the export read through a role that
// may not read attachments: PostgreSQL refuses the same way every time, so the job
// ends after one attempt with the reason instead of exporting five times.
func TestDeterministicExportErrorEndsAtOnce(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewDB(t)
	admin := pgtest.NewPool(t, dbURL)
	testdb.Fixture(t, admin)
	ctx := context.Background()
	role := fmt.Sprintf("exporter_%d", time.Now().UnixNano())
	for _, q := range []string{
		`CREATE ROLE ` + role + ` LOGIN`,
		`GRANT ALL ON ALL TABLES IN SCHEMA public TO ` + role,
		`GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO ` + role,
		`REVOKE SELECT ON attachments FROM ` + role,
	} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _, _ = admin.Exec(context.Background(), `DROP OWNED BY `+role+`; DROP ROLE `+role) })
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.User = role
	prod := newInstance(t, instanceOpts{poolConfig: cfg, retry: fixedRetry(time.Second)})

	s, err := prod.sub.Export(ctx, jobs.ExportRequest{RequestedBy: "admin@wippidu.example", IncludeAttachments: true, SourceHost: "app.wippidu.net"})
	if err != nil {
		t.Fatal(err)
	}
	st := prod.wait(t, s.JobID)
	if st.Succeeded || st.Attempt != 1 || st.State != string(rivertype.JobStateCancelled) {
		t.Fatalf("export: state %s after %d attempts, want cancelled after 1", st.State, st.Attempt)
	}
	if !strings.Contains(st.Error, "permission denied for table attachments") {
		t.Errorf("error: got %q, want PostgreSQL's reason", st.Error)
	}
	rec, err := audit.Get(ctx, admin, s.AuditID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != audit.StatusFailed || rec.Attempts != 1 {
		t.Errorf("audit: %s after %d attempts, want failed after 1", rec.Status, rec.Attempts)
	}
}

// TestPermanentErrors lists which errors end a job at once.
func TestPermanentErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "42501"}, true},  // insufficient privilege
		{&pgconn.PgError{Code: "23505"}, true},  // unique violation
		{&pgconn.PgError{Code: "22P02"}, true},  // invalid text representation
		{&pgconn.PgError{Code: "40001"}, false}, // serialization failure
		{&pgconn.PgError{Code: "57P01"}, false}, // admin shutdown
		{&pgconn.PgError{Code: "53100"}, false}, // disk full
		{fmt.Errorf("mark audit 1 succeeded: %w", fmt.Errorf("failed to encode args[4]: unable to encode 8697803577 into binary format for int4 (OID 23)")), true},
		{fmt.Errorf("read: %w", transfer.ErrBadDump), true},
		{wippidu.ErrImportDisabled, true},
		{context.Canceled, false},
		{io.ErrUnexpectedEOF, false},
		{pgx.ErrTxClosed, false},
	} {
		if got := worker.Permanent(c.err); got != c.want {
			t.Errorf("Permanent(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
