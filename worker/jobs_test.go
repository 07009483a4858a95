package worker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"go.opentelemetry.io/otel/trace"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/config"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/internal/testdb"
	"github.com/wippidu/wippidu/internal/testsalt"
	"github.com/wippidu/wippidu/jobs"
	"github.com/wippidu/wippidu/storage"
	"github.com/wippidu/wippidu/storage/file"
	"github.com/wippidu/wippidu/worker"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// instance is one running wippidu instance: database, storage, worker client.
type instance struct {
	pool   *pgxpool.Pool
	store  storage.Storage
	deps   *worker.Deps
	client *river.Client[pgx.Tx]
	sub    *jobs.Submitter
}

type instanceOpts struct {
	allowImport bool
	store       storage.Storage
	retry       river.ClientRetryPolicy
	tracer      trace.TracerProvider // non-nil switches OTEL_TRACING on
	poolConfig  *pgxpool.Config      // the workers' database connection; a fresh database when nil
	source      storage.Storage      // production's exports (SOURCE_STORAGE_URL)
	env         map[string]string    // more settings, e.g. REFRESH_SCHEDULE
	periodic    bool                 // run the periodic jobs, as a worker process does
}

func newInstance(t *testing.T, o instanceOpts) *instance {
	t.Helper()
	var pool *pgxpool.Pool
	if o.poolConfig != nil {
		var err error
		if pool, err = pgxpool.NewWithConfig(context.Background(), o.poolConfig); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
	} else {
		pool = pgtest.NewPool(t, pgtest.NewDB(t))
	}
	store := o.store
	if store == nil {
		var err error
		if store, err = file.New(t.TempDir()); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Parse(func(k string) string {
		if v, ok := o.env[k]; ok {
			return v
		}
		return map[string]string{
			"DATABASE_URL": "unused", "APP_ALLOW_PROD_IMPORT": map[bool]string{true: "true", false: "false"}[o.allowImport],
			"APP_HOSTNAME": "staging.wippidu.net", "ANONYMIZER_SALT": testsalt.Salt,
			"OTEL_TRACING": map[bool]string{true: "true", false: "false"}[o.tracer != nil],
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	deps := &worker.Deps{Pool: pool, Storage: store, Source: o.source, Config: cfg, Policy: anonymizer.DefaultPolicy(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), TracerProvider: o.tracer}
	client, err := worker.NewClient(deps, worker.ClientOptions{Queues: worker.DefaultQueues(2), RetryPolicy: o.retry,
		Periodic: o.periodic})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = client.StopAndCancel(ctx)
	})
	return &instance{pool: pool, store: store, deps: deps, client: client,
		sub: &jobs.Submitter{Pool: pool, Client: client, Config: cfg}}
}

func (in *instance) wait(t *testing.T, jobID int64) *jobs.Status {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		st, err := jobs.GetStatus(context.Background(), in.client, in.pool, jobID)
		if err != nil {
			t.Fatal(err)
		}
		if st.Done {
			return st
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("job %d did not finish", jobID)
	return nil
}

// exportFile runs an export job and returns the stored dump's key.
func (in *instance) exportFile(t *testing.T) (key string, size int64) {
	t.Helper()
	s, err := in.sub.Export(context.Background(), jobs.ExportRequest{RequestedBy: "admin@wippidu.example", IncludeAttachments: true, SourceHost: "app.wippidu.net"})
	if err != nil {
		t.Fatal(err)
	}
	st := in.wait(t, s.JobID)
	if !st.Succeeded {
		t.Fatalf("export failed: %s", st.Error)
	}
	a, err := audit.Get(context.Background(), in.pool, s.AuditID)
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != audit.StatusSucceeded || a.ObjectKey == nil || !strings.HasPrefix(*a.FileName, "wippidu-export-") {
		t.Fatalf("export audit: %+v", a)
	}
	return *a.ObjectKey, *a.SizeBytes
}

// upload copies a dump from one instance's storage into another's imports.
func upload(t *testing.T, from, to *instance, key string) string {
	t.Helper()
	ctx := context.Background()
	r, err := from.store.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	dst := jobs.NewImportKey()
	if _, err := to.store.Put(ctx, dst, r); err != nil {
		t.Fatal(err)
	}
	return dst
}

func importRequest(key string) jobs.ImportRequest {
	return jobs.ImportRequest{
		ImportGate:  jobs.ImportGate{ConfirmHost: "staging.wippidu.net", ActualHost: "staging.wippidu.net:443"},
		RequestedBy: "admin@staging", FileName: filepath.Base(key), ObjectKey: key,
	}
}

func countAudits(t *testing.T, pool *pgxpool.Pool, where string) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM import_export_audits WHERE "+where).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestExportThenImportThroughJobs(t *testing.T) {
	t.Parallel()
	prod := newInstance(t, instanceOpts{})
	staging := newInstance(t, instanceOpts{allowImport: true})
	testdb.Fixture(t, prod.pool)
	key, size := prod.exportFile(t)
	if size == 0 {
		t.Fatal("export size 0")
	}
	in := upload(t, prod, staging, key)
	// Staging's own history from before the refresh.
	if _, err := staging.pool.Exec(context.Background(), `INSERT INTO import_export_audits (kind, status, requested_by, error_message) VALUES ('import', 'failed', 'earlier', 'old failure')`); err != nil {
		t.Fatal(err)
	}

	s, err := staging.sub.Import(context.Background(), importRequest(in))
	if err != nil {
		t.Fatal(err)
	}
	st := staging.wait(t, s.JobID)
	if !st.Succeeded {
		t.Fatalf("import failed: %s", st.Error)
	}
	if st.Phase != wippidu.PhaseDone || st.BytesTotal == 0 || st.BytesDone != st.BytesTotal {
		t.Errorf("final progress: %+v", st)
	}
	var res struct {
		SourceHost     string   `json:"source_host"`
		Rows           int64    `json:"rows"`
		AnonymizersRun []string `json:"anonymizers_run"`
		PasswordsReset bool     `json:"passwords_reset"`
	}
	if err := json.Unmarshal(st.Result, &res); err != nil {
		t.Fatal(err)
	}
	if res.SourceHost != "app.wippidu.net" || res.Rows != 28 || len(res.AnonymizersRun) != len(anonymizer.Keys) || !res.PasswordsReset {
		t.Errorf("result: %+v", res)
	}
	a, err := audit.Get(context.Background(), staging.pool, s.AuditID)
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != audit.StatusSucceeded || a.Attempts != 1 || len(a.Result) == 0 || a.ErrorMessage != nil {
		t.Errorf("audit: status %s attempts %d result %s", a.Status, a.Attempts, a.Result)
	}
	if n := countAudits(t, staging.pool, "requested_by = 'earlier' AND error_message = 'old failure'"); n != 1 {
		t.Errorf("staging's earlier audit rows: got %d, want 1 (the import keeps local history)", n)
	}
	if n := countAudits(t, staging.pool, "true"); n != 2 {
		t.Errorf("staging audit rows: got %d, want 2 (the old one and the import's own)", n)
	}
	// The dump held production personal data: it is gone once imported.
	if _, err := staging.store.Stat(context.Background(), in); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("imported dump still in storage: %v", err)
	}
	if ok, err := audit.HasImportedData(context.Background(), staging.pool); err != nil || !ok {
		t.Errorf("HasImportedData: got %v, %v", ok, err)
	}
	if ok, _ := audit.HasImportedData(context.Background(), prod.pool); ok {
		t.Error("production reports imported data")
	}
}

func TestImportJobRefusedOnProductionEvenWhenInsertedByHand(t *testing.T) {
	t.Parallel()
	prod := newInstance(t, instanceOpts{allowImport: false})
	testdb.Fixture(t, prod.pool)
	key, _ := prod.exportFile(t)
	before := pgtest.Checksums(t, prod.pool)

	// Through the submitter: refused before anything is enqueued.
	if _, err := prod.sub.Import(context.Background(), importRequest(key)); !errors.Is(err, wippidu.ErrImportDisabled) {
		t.Fatalf("submit: got %v, want ErrImportDisabled", err)
	}
	if n := countAudits(t, prod.pool, "kind = 'import'"); n != 0 {
		t.Fatalf("import audits after refusal: got %d, want 0", n)
	}
	// A job row inserted by hand: the worker refuses it and does not retry.
	var auditID int64
	if err := prod.pool.QueryRow(context.Background(), `INSERT INTO import_export_audits (kind, requested_by) VALUES ('import', 'intruder') RETURNING id`).Scan(&auditID); err != nil {
		t.Fatal(err)
	}
	res, err := prod.client.Insert(context.Background(), jobs.ImportArgs{AuditID: auditID, ObjectKey: key}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := prod.wait(t, res.Job.ID)
	if st.Succeeded || st.State != string(rivertype.JobStateCancelled) || st.Attempt != 1 {
		t.Fatalf("hand-inserted job: state %s attempt %d", st.State, st.Attempt)
	}
	a, _ := audit.Get(context.Background(), prod.pool, auditID)
	if a.Status != audit.StatusFailed || a.ErrorMessage == nil || *a.ErrorMessage != "Import is not enabled on this instance." {
		t.Errorf("audit: %s %v", a.Status, a.ErrorMessage)
	}
	pgtest.ExpectUnchanged(t, prod.pool, before, "an import refused on production", "import_export_audits")
}

func TestBadDumpFailsOnceWithItsReason(t *testing.T) {
	t.Parallel()
	staging := newInstance(t, instanceOpts{allowImport: true})
	testdb.Fixture(t, staging.pool)
	before := pgtest.Checksums(t, staging.pool)
	tests := map[string]string{
		`{"schema_version":9,"app":"wippidu","tables":[]}`: "Dump schema version 9 is newer than this instance supports.",
		`{"hello":"world"}`: `not a wippidu dump`,
	}
	for body, want := range tests {
		key := jobs.NewImportKey()
		if _, err := staging.store.Put(context.Background(), key, bytes.NewReader(testdb.Gzip(t, body))); err != nil {
			t.Fatal(err)
		}
		s, err := staging.sub.Import(context.Background(), importRequest(key))
		if err != nil {
			t.Fatal(err)
		}
		st := staging.wait(t, s.JobID)
		if st.Succeeded || st.Attempt != 1 || st.State != string(rivertype.JobStateCancelled) {
			t.Errorf("%s: state %s after %d attempts, want cancelled after 1", want, st.State, st.Attempt)
		}
		a, _ := audit.Get(context.Background(), staging.pool, s.AuditID)
		if a.Status != audit.StatusFailed || a.ErrorMessage == nil || !strings.Contains(*a.ErrorMessage, want) {
			t.Errorf("audit: got %s %v, want failed with %q", a.Status, a.ErrorMessage, want)
		}
	}
	pgtest.ExpectUnchanged(t, staging.pool, before, "a refused dump", "import_export_audits")
}

func TestSecondImportRefusedWhileOneIsQueued(t *testing.T) {
	t.Parallel()
	// No queues are worked here, so the first import stays queued.
	staging := newInstance(t, instanceOpts{allowImport: true})
	if err := staging.client.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := staging.sub.Import(context.Background(), importRequest("imports/a.json.gz")); err != nil {
		t.Fatal(err)
	}
	if active, _ := staging.sub.ImportActive(context.Background()); !active {
		t.Error("ImportActive: got false with an import queued")
	}
	_, err := staging.sub.Import(context.Background(), importRequest("imports/b.json.gz"))
	if !errors.Is(err, wippidu.ErrImportBusy) {
		t.Fatalf("second import: got %v, want ErrImportBusy", err)
	}
	if n := countAudits(t, staging.pool, "kind = 'import'"); n != 1 {
		t.Errorf("import audits: got %d, want 1 (the refused one rolled back)", n)
	}
}

func TestGatesRefuseWithExactMessages(t *testing.T) {
	t.Parallel()
	cfg := config.Config{AllowProdImport: true, Hostname: "staging.wippidu.net"}
	tests := []struct {
		name string
		cfg  config.Config
		gate jobs.ImportGate
		want error
	}{
		{"disabled", config.Config{}, jobs.ImportGate{ConfirmHost: "x", ActualHost: "x"}, wippidu.ErrImportDisabled},
		{"wrong host", cfg, jobs.ImportGate{ConfirmHost: "app.wippidu.net", ActualHost: "staging.wippidu.net"}, wippidu.ErrHostMismatch},
		{"empty host", cfg, jobs.ImportGate{ConfirmHost: "", ActualHost: ""}, wippidu.ErrHostMismatch},
		{"opt out without ack", cfg, jobs.ImportGate{ConfirmHost: "Staging.Wippidu.Net:8443", ActualHost: "staging.wippidu.net", AnonymizersOff: []string{"emails"}, RiskAck: "i understand"}, wippidu.ErrRiskNotAcked},
		{"ok", cfg, jobs.ImportGate{ConfirmHost: "STAGING.wippidu.net", ActualHost: "staging.wippidu.net:80"}, nil},
		{"opt out with ack", cfg, jobs.ImportGate{ConfirmHost: "staging.wippidu.net", ActualHost: "staging.wippidu.net", AnonymizersOff: []string{"emails"}, RiskAck: anonymizer.RiskAck}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := jobs.CheckImportGates(tt.cfg, tt.gate); !errors.Is(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if wippidu.ErrImportDisabled.Message != "Import is not enabled on this instance." ||
		wippidu.ErrHostMismatch.Message != "The hostname you entered does not match this instance." {
		t.Error("gate messages differ from the contract")
	}
}
