package ops_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/internal/s3test"
	"github.com/wippidu/wippidu/internal/testdb"
	"github.com/wippidu/wippidu/internal/testsalt"
	"github.com/wippidu/wippidu/storage/storagetest"
)

// instance is a database with the fixture and the settings of a worker on it,
// with a storage folder of its own (storage).
type instance struct {
	pool    *pgxpool.Pool
	env     map[string]string
	storage string
}

func newInstance(t *testing.T, staging bool) *instance {
	t.Helper()
	url := pgtest.NewDB(t)
	in := &instance{pool: pgtest.NewPool(t, url), storage: t.TempDir()}
	testdb.Fixture(t, in.pool)
	in.env = map[string]string{"DATABASE_URL": url, "STORAGE_URL": "file://" + in.storage,
		"APP_HOSTNAME": "app.wippidu.net", "LOG_LEVEL": "warn"}
	if staging {
		in.env["APP_HOSTNAME"] = "staging.wippidu.net"
		in.env["APP_ALLOW_PROD_IMPORT"] = "true"
		in.env["ANONYMIZER_SALT"] = testsalt.Salt
	}
	return in
}

// exportTo runs `worker export --inline --out out` and fails the test unless it
// succeeds.
func (in *instance) exportTo(t *testing.T, out string) string {
	t.Helper()
	code, stdout, stderr := run(in.env, "export", "--inline", "--out", out)
	if code != 0 {
		t.Fatalf("export --inline --out %s: exit %d\n%s", out, code, stderr)
	}
	return stdout
}

// TestInlineImportReadsTheFileWhereItLies: `worker import --inline FILE` runs the
// job on FILE itself. Nothing is ever stored, even where imported dumps are kept
// (KEEP_IMPORTED_DUMPS), and the file is never deleted or changed: not by an
// import, a dry run, or an import interrupted half-way (which deletes an upload).
func TestInlineImportReadsTheFileWhereItLies(t *testing.T) {
	t.Parallel()
	prod, staging := newInstance(t, false), newInstance(t, true)
	staging.env["KEEP_IMPORTED_DUMPS"] = "true"
	dumpFile := filepath.Join(t.TempDir(), "prod.json.gz")
	prod.exportTo(t, dumpFile)
	want, err := os.ReadFile(dumpFile)
	if err != nil {
		t.Fatal(err)
	}
	importArgs := []string{"import", "--inline", "--confirm-host", "staging.wippidu.net"}
	for _, tc := range []struct {
		name      string
		args      []string
		interrupt bool
		wantCode  int
		status    string
	}{
		{"dry run", append(importArgs, "--dry-run", dumpFile), false, 0, "previewed"},
		{"import", append(importArgs, dumpFile), false, 0, "succeeded"},
		{"interrupted import", append(importArgs, dumpFile), true, 1, "cancelled"},
	} {
		code, stderr := runInterruptible(staging.env, tc.interrupt, tc.args...)
		if code != tc.wantCode {
			t.Fatalf("%s: got exit %d, want %d\n%s", tc.name, code, tc.wantCode, stderr)
		}
		if got := storagetest.Files(t, staging.storage); len(got) != 0 {
			t.Errorf("%s: staging's storage holds %v, want nothing: the file is read where it lies", tc.name, got)
		}
		if got, err := os.ReadFile(dumpFile); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: the dump file after the import: %d bytes, %v; want it untouched (%d bytes)", tc.name, len(got), err, len(want))
		}
		// The history says what it always said: the file, its size, the outcome.
		var file, status string
		var size int64
		if err := staging.pool.QueryRow(context.Background(), `SELECT file_name, size_bytes, status FROM import_export_audits
			WHERE kind = 'import' ORDER BY id DESC LIMIT 1`).Scan(&file, &size, &status); err != nil {
			t.Fatal(err)
		}
		if file != "prod.json.gz" || size != int64(len(want)) || status != tc.status {
			t.Errorf("%s: audit row %q, %d bytes, %s; want %q, %d bytes, %s", tc.name, file, size, status, "prod.json.gz", len(want), tc.status)
		}
	}
}

// TestImportLinksTheFileIntoStorage: `worker import FILE` for a worker stores
// FILE as a link to it where the storage folder is on its filesystem: the upload
// waiting for the worker is the file itself, not a copy.
func TestImportLinksTheFileIntoStorage(t *testing.T) {
	t.Parallel()
	prod, staging := newInstance(t, false), newInstance(t, true)
	dumpFile := filepath.Join(t.TempDir(), "prod.json.gz")
	prod.exportTo(t, dumpFile)
	// No worker runs: the command is interrupted once the import is queued.
	code, stderr := runInterruptible(staging.env, true, "import", "--confirm-host", "staging.wippidu.net", dumpFile)
	if code != 1 || !strings.Contains(stderr, "queued") {
		t.Fatalf("import for a worker: exit %d, want 1 once it stopped waiting for the queued import\n%s", code, stderr)
	}
	stored := storagetest.Files(t, staging.storage)
	if len(stored) != 1 || !strings.HasPrefix(stored[0], "imports/") {
		t.Fatalf("staging's storage holds %v, want the one upload", stored)
	}
	if !storagetest.SameFile(t, dumpFile, filepath.Join(staging.storage, stored[0])) {
		t.Errorf("the upload is a copy of the file, want the file itself (a link)")
	}
	var key string
	if err := staging.pool.QueryRow(context.Background(), `SELECT object_key FROM import_export_audits WHERE status = 'queued'`).Scan(&key); err != nil {
		t.Fatal(err)
	}
	if key != stored[0] {
		t.Errorf("the queued import reads %q, want the upload %q", key, stored[0])
	}
}

// TestExportOutLinksTheStoredFile: `worker export --out` with file storage saves
// the export as a link to the stored file, to a FILE or into a directory: one
// file on disk, not two.
func TestExportOutLinksTheStoredFile(t *testing.T) {
	t.Parallel()
	prod := newInstance(t, false)
	dir := t.TempDir()
	for _, out := range []string{filepath.Join(dir, "prod.json.gz"), dir} {
		stdout := prod.exportTo(t, out)
		saved := out
		if out == dir {
			entries, err := filepath.Glob(filepath.Join(dir, "wippidu-export-*.json.gz"))
			if err != nil || len(entries) != 1 {
				t.Fatalf("export --out DIR saved %v (%v), want one wippidu-export-… file", entries, err)
			}
			saved = entries[0]
		}
		if !strings.Contains(stdout, `"file":"`+saved+`"`) {
			t.Errorf("export --out %s: stdout %q does not name %s", out, stdout, saved)
		}
		var key string
		if err := prod.pool.QueryRow(context.Background(), `SELECT object_key FROM import_export_audits
			WHERE kind = 'export' ORDER BY id DESC LIMIT 1`).Scan(&key); err != nil {
			t.Fatal(err)
		}
		if !storagetest.SameFile(t, saved, filepath.Join(prod.storage, filepath.FromSlash(key))) {
			t.Errorf("export --out %s: the saved file is a copy of the stored export, want the same file", out)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.part")); len(left) != 0 {
		t.Errorf("files left beside the export: %v", left)
	}
}

// recorder stands between wippidu and an S3 server and records every request's
// method and path.
type recorder struct {
	URL  string
	mu   sync.Mutex
	reqs []string // "GET /bucket/key"
}

func newRecorder(t *testing.T, target string) *recorder {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	rp := httputil.NewSingleHostReverseProxy(u) // Host is kept: SigV4 signatures stay valid
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, r.Method+" "+r.URL.Path)
		rec.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	rec.URL = srv.URL
	return rec
}

// matching returns the recorded requests that contain s.
func (rec *recorder) matching(s string) []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []string
	for _, r := range rec.reqs {
		if strings.Contains(r, s) {
			out = append(out, r)
		}
	}
	return out
}

// TestInlineRunsCrossS3Once: with S3 storage, `worker export --inline --out FILE`
// writes FILE as the export goes up, and never downloads it again; `worker import
// --inline FILE` reads FILE where it lies and sends storage nothing.
func TestInlineRunsCrossS3Once(t *testing.T) {
	srv := s3test.Start(t)
	proxy := newRecorder(t, srv.Endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	storageURL := func(prefix string) string {
		return "s3://" + srv.Bucket + "/" + prefix + "?endpoint=" + proxy.URL + "&region=" + srv.Region + "&path_style=true"
	}
	prod, staging := newInstance(t, false), newInstance(t, true)
	prod.env["STORAGE_URL"], staging.env["STORAGE_URL"] = storageURL("prod"), storageURL("staging")
	staging.env["KEEP_IMPORTED_DUMPS"] = "true"

	dir := t.TempDir()
	dumpFile := filepath.Join(dir, "prod.json.gz")
	prod.exportTo(t, dumpFile)
	if got := proxy.matching("GET /" + srv.Bucket + "/prod/exports/"); len(got) != 0 {
		t.Errorf("the export was read back from S3: %v; want it written to --out as it went up", got)
	}
	var key string
	if err := prod.pool.QueryRow(context.Background(), `SELECT object_key FROM import_export_audits WHERE kind = 'export' AND status = 'succeeded' ORDER BY id DESC LIMIT 1`).Scan(&key); err != nil {
		t.Fatal(err)
	}
	obj, err := srv.Client.GetObject(t.Context(), &awss3.GetObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String("prod/" + key)})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := io.ReadAll(obj.Body)
	obj.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if saved, err := os.ReadFile(dumpFile); err != nil || !bytes.Equal(saved, stored) || len(saved) == 0 {
		t.Errorf("the saved file (%d bytes, %v) is not the stored export (%d bytes)", len(saved), err, len(stored))
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("files beside the export: %v, want only it", entries)
	}

	code, _, stderr := run(staging.env, "import", "--inline", "--confirm-host", "staging.wippidu.net", dumpFile)
	if code != 0 {
		t.Fatalf("import --inline: exit %d\n%s", code, stderr)
	}
	if got := proxy.matching("/" + srv.Bucket + "/staging/"); len(got) != 0 {
		t.Errorf("the inline import sent staging's storage %v, want nothing", got)
	}
}
