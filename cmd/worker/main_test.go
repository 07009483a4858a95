package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/config"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/internal/testbin"
	"github.com/wippidu/wippidu/internal/testdb"
	"github.com/wippidu/wippidu/internal/testsalt"
	"github.com/wippidu/wippidu/jobs"
)

// workerBin and demodataBin are built once, without the race detector, as they
// ship (internal/testbin); dumpDir holds the dumps the tests share.
var workerBin, demodataBin, dumpDir string

func TestMain(m *testing.M) {
	dir, cleanup, err := testbin.Build("./cmd/worker", "./cmd/demodata")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	workerBin, demodataBin = testbin.Path(dir, "worker"), testbin.Path(dir, "demodata")
	if dumpDir, err = os.MkdirTemp("", "wippidu-worker-dumps-"); err != nil {
		panic(err)
	}
	code := pgtest.Main(m)
	cleanup()
	os.RemoveAll(dumpDir)
	os.Exit(code)
}

// instance is a database and storage folder that worker processes are pointed at.
type instance struct {
	url, storageDir string
	pool            *pgxpool.Pool
	env             map[string]string
}

func newInstance(t *testing.T, staging bool) *instance {
	t.Helper()
	in := &instance{url: pgtest.NewDB(t), storageDir: t.TempDir()}
	in.pool = pgtest.NewPool(t, in.url)
	in.env = map[string]string{
		"DATABASE_URL": in.url, "STORAGE_URL": "file://" + in.storageDir,
		"APP_HOSTNAME": "app.wippidu.net", "LOG_LEVEL": "info", "JOB_LIVENESS_GRACE": "3s",
	}
	if staging {
		in.env["APP_HOSTNAME"] = "staging.wippidu.net"
		in.env["APP_ALLOW_PROD_IMPORT"] = "true"
		in.env["ANONYMIZER_SALT"] = testsalt.Salt
	}
	return in
}

func (in *instance) cmd(args ...string) *exec.Cmd {
	c := exec.Command(workerBin, args...)
	c.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir()}
	for k, v := range in.env {
		c.Env = append(c.Env, k+"="+v)
	}
	return c
}

// run runs the worker command and returns exit code, stdout and stderr.
func (in *instance) run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	c := in.cmd(args...)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

func TestCommandLineRefresh(t *testing.T) {
	t.Parallel()
	prod := newInstance(t, false)
	staging := newInstance(t, true)
	testdb.Fixture(t, prod.pool)
	testdb.Fixture(t, staging.pool)
	dumpFile := filepath.Join(t.TempDir(), "prod.json.gz")

	if code, _, stderr := prod.run(t, "export", "--inline", "--out", dumpFile); code != 0 {
		t.Fatalf("export: exit %d\n%s", code, stderr)
	}
	newer := filepath.Join(t.TempDir(), "newer.json.gz")
	if err := os.WriteFile(newer, testdb.Gzip(t, `{"schema_version":3,"app":"wippidu","tables":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	notDump := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(notDump, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}

	before := pgtest.Checksums(t, staging.pool)
	// Each refusal gives the product's message, then which flag or setting it is
	// about and what was compared.
	refusals := []struct {
		name         string
		in           *instance
		args         []string
		want, detail string
	}{
		{"production", prod, []string{"import", "--inline", "--confirm-host", "app.wippidu.net", dumpFile}, "Import is not enabled on this instance.",
			`This instance has APP_ALLOW_PROD_IMPORT="" (unset); imports need APP_ALLOW_PROD_IMPORT=true`},
		{"wrong host", staging, []string{"import", "--inline", "--confirm-host", "app.wippidu.net", dumpFile}, "The hostname you entered does not match this instance.",
			`--confirm-host "app.wippidu.net" is not this instance's APP_HOSTNAME "staging.wippidu.net"`},
		{"opt-out without ack", staging, []string{"import", "--inline", "--confirm-host", "staging.wippidu.net", "--keep", "emails", dumpFile}, "I_UNDERSTAND_THE_PII_RISK",
			"--keep emails switches anonymizers off, which needs --risk-ack I_UNDERSTAND_THE_PII_RISK; the command line has no --risk-ack"},
		{"opt-out with wrong ack", staging, []string{"import", "--inline", "--confirm-host", "staging.wippidu.net", "--keep", "names", "--risk-ack", "yes", dumpFile}, "I_UNDERSTAND_THE_PII_RISK",
			`the command line has --risk-ack "yes"`},
		{"newer schema", staging, []string{"import", "--inline", "--confirm-host", "staging.wippidu.net", newer}, "Dump schema version 3 is newer than this instance supports.", ""},
		{"not a dump", staging, []string{"import", "--inline", "--confirm-host", "staging.wippidu.net", notDump}, "not a wippidu export", ""},
	}
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			code, stdout, stderr := r.in.run(t, r.args...)
			if code != 1 || !strings.Contains(stderr, r.want) || strings.Index(stderr, r.detail) < strings.Index(stderr, r.want)+len(r.want) && r.detail != "" || stdout != "" {
				t.Errorf("got exit %d, stdout %q, stderr %q; want exit 1 and %q, then %q", code, stdout, stderr, r.want, r.detail)
			}
		})
	}
	pgtest.ExpectUnchanged(t, staging.pool, before, "refused imports", "import_export_audits")
	// Each refusal is in the history, and nothing else.
	if n := count(t, staging.pool, "SELECT count(*) FROM import_export_audits WHERE status = 'refused' AND client_addr = 'cli' AND object_key IS NULL"); n != int64(len(refusals)-1) {
		t.Errorf("refusals audited on staging: %d, want %d", n, len(refusals)-1)
	}
	if n := count(t, staging.pool, "SELECT count(*) FROM import_export_audits WHERE kind = 'import' AND status <> 'refused'"); n != 0 {
		t.Errorf("refused imports wrote %d other audit rows", n)
	}
	if n := count(t, staging.pool, "SELECT count(*) FROM river_job WHERE kind = 'import'"); n != 0 {
		t.Errorf("refused imports enqueued %d jobs", n)
	}
	if entries, _ := os.ReadDir(filepath.Join(staging.storageDir, "imports")); len(entries) != 0 {
		t.Errorf("refused imports stored %d files", len(entries))
	}

	// A dry run prints the whole result and changes nothing.
	code, stdout, stderr := staging.run(t, "import", "--inline", "--dry-run", "--confirm-host", "staging.wippidu.net", dumpFile)
	if code != 0 || !strings.Contains(stdout, `"preview":true`) || !strings.Contains(stdout, `"rows":28`) ||
		!strings.Contains(stderr, "nothing was changed") {
		t.Fatalf("import --dry-run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	pgtest.ExpectUnchanged(t, staging.pool, before, "import --dry-run", "import_export_audits")
	if n := count(t, staging.pool, "SELECT count(*) FROM import_export_audits WHERE status = 'previewed'"); n != 1 {
		t.Errorf("previewed audit rows: got %d, want 1", n)
	}
	if entries, _ := os.ReadDir(filepath.Join(staging.storageDir, "imports")); len(entries) != 0 {
		t.Errorf("a dry run left %d files in storage", len(entries))
	}

	staging.env["LOG_LEVEL"] = "debug" // everything the worker can log
	code, stdout, stderr = staging.run(t, "import", "--inline", "--confirm-host", "Staging.Wippidu.Net", dumpFile)
	if code != 0 {
		t.Fatalf("import: exit %d\n%s", code, stderr)
	}
	// Secrets and production personal data never reach the logs.
	for _, secret := range []string{staging.env["ANONYMIZER_SALT"], "$2a$10$", "paula.parent@example.org", "Päßler"} {
		if strings.Contains(stderr, secret) || strings.Contains(stdout, secret) {
			t.Errorf("worker output contains %q", secret)
		}
	}
	var out struct {
		JobID  int64 `json:"job_id"`
		Result struct {
			SourceHost string `json:"source_host"`
			Rows       int64  `json:"rows"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("stdout is not the result JSON: %v\n%s", err, stdout)
	}
	if out.Result.SourceHost != "app.wippidu.net" || out.Result.Rows != 28 {
		t.Errorf("result: %+v", out.Result)
	}
	if !strings.Contains(stderr, "completed") {
		t.Errorf("no progress on stderr:\n%s", stderr)
	}
	// With the risk text, an anonymizer can be switched off.
	code, stdout, stderr = staging.run(t, "import", "--inline", "--confirm-host", "staging.wippidu.net", "--keep", "emails", "--risk-ack", anonymizer.RiskAck, dumpFile)
	if code != 0 || !strings.Contains(stdout, `"anonymizers_skipped":["emails"]`) {
		t.Fatalf("import with --keep emails: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if n := count(t, staging.pool, "SELECT count(*) FROM users WHERE email = 'paula.parent@example.org'"); n != 1 {
		t.Errorf("kept emails: got %d matching rows, want 1", n)
	}

	code, stdout, _ = staging.run(t, "jobs", "list")
	imports := 0
	for _, line := range strings.Split(stdout, "\n") {
		if f := strings.Fields(line); len(f) > 3 && f[2] == "import" && f[3] == "succeeded" {
			imports++
		}
	}
	if code != 0 || imports != 2 {
		t.Errorf("jobs list: exit %d\n%s", code, stdout)
	}
}

// startWorker starts `worker run` with args; its log is shown when the test fails.
func startWorker(t *testing.T, in *instance, name string, args ...string) *exec.Cmd {
	t.Helper()
	c := in.cmd(append([]string{"run"}, args...)...)
	logf, err := os.Create(filepath.Join(t.TempDir(), name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	c.Stdout, c.Stderr = logf, logf
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.Process.Kill()
		_, _ = c.Process.Wait()
		if t.Failed() || os.Getenv("WIPPIDU_SHOW_WORKER_LOGS") != "" {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("%s worker log (tail):\n%s", name, tail(string(b), 4000))
		}
		logf.Close()
	})
	return c
}

func submitter(t *testing.T, in *instance) *jobs.Submitter {
	t.Helper()
	cfg, err := config.Parse(func(k string) string { return in.env[k] })
	if err != nil {
		t.Fatal(err)
	}
	client, err := jobs.NewInsertClient(in.pool, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return &jobs.Submitter{Pool: in.pool, Client: client, Config: cfg}
}

func count(t *testing.T, pool *pgxpool.Pool, q string) int64 {
	t.Helper()
	var n int64
	if err := pool.QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func str(t *testing.T, pool *pgxpool.Pool, q string) string {
	t.Helper()
	var s *string
	if err := pool.QueryRow(context.Background(), q).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if s == nil {
		return ""
	}
	return *s
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
