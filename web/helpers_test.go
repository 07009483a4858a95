package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"golang.org/x/crypto/bcrypt"

	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/config"
	"github.com/wippidu/wippidu/dump"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/internal/testdb"
	"github.com/wippidu/wippidu/internal/testsalt"
	"github.com/wippidu/wippidu/logins"
	"github.com/wippidu/wippidu/storage"
	"github.com/wippidu/wippidu/storage/file"
	"github.com/wippidu/wippidu/web"
	"github.com/wippidu/wippidu/worker"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

const (
	stagingHost   = "staging.wippidu.net"
	adminEmail    = "boss@wippidu.example"
	teacherEmail  = "teacher@wippidu.example"
	testPassword  = "correct horse"
	sessionSecret = "0123456789abcdef0123456789abcdef-test"
)

// env is one instance under test: database, storage folder, River client and
// the web tier's handler.
type env struct {
	t        *testing.T
	pool     *pgxpool.Pool
	storeDir string
	client   *river.Client[pgx.Tx]
	handler  http.Handler
	cfg      config.Config
}

type envOpts struct {
	allowImport bool
	maxUpload   int64
	work        bool          // run the job queues in this process
	fixture     bool          // load testdb.Fixture (production-like rows)
	logins      logins.Config // login limits; zero: the defaults
	hostname    string        // APP_HOSTNAME; stagingHost when empty
	plainHTTP   bool          // SECURE_COOKIES=false, for a real browser over http
	// source is production's storage (SOURCE_STORAGE_URL) for the web tier and
	// the worker; nil: none.
	source storage.Storage
	vars   map[string]string // more settings (EXPORT_RECIPIENTS, …)
}

func newEnv(t *testing.T, o envOpts) *env {
	t.Helper()
	pool := pgtest.NewPool(t, pgtest.NewDB(t))
	dir := t.TempDir()
	store, err := file.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"DATABASE_URL": "unused", "APP_HOSTNAME": stagingHost, "ANONYMIZER_SALT": testsalt.Salt,
		"SESSION_SECRET": sessionSecret, "APP_ALLOW_PROD_IMPORT": "false",
		// Tests log in often from one address; the spray test sets its own limit.
		"LOGIN_ATTEMPTS_PER_MINUTE": "10000",
	}
	if o.allowImport {
		vars["APP_ALLOW_PROD_IMPORT"] = "true"
	}
	if o.hostname != "" {
		vars["APP_HOSTNAME"] = o.hostname
	}
	if o.plainHTTP {
		vars["SECURE_COOKIES"] = "false"
	}
	maps.Copy(vars, o.vars)
	cfg, err := config.Parse(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	if o.maxUpload > 0 {
		cfg.MaxUploadBytes = o.maxUpload
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	deps := &worker.Deps{Pool: pool, Storage: store, Source: o.source, Config: cfg, Policy: anonymizer.DefaultPolicy(), Logger: logger}
	opts := worker.ClientOptions{}
	if o.work {
		opts.Queues = worker.DefaultQueues(2)
	}
	client, err := worker.NewClient(deps, opts)
	if err != nil {
		t.Fatal(err)
	}
	if o.work {
		if err := client.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_ = client.StopAndCancel(ctx)
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	h, err := web.New(ctx, web.Config{App: cfg, Pool: pool, Storage: store, Source: o.source, River: client, Logger: logger, Logins: o.logins,
		CheckUpload: dump.CheckUpload})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, pool: pool, storeDir: dir, client: client, handler: h, cfg: cfg}
	if o.fixture {
		testdb.Fixture(t, pool)
	}
	e.addUser(adminEmail, "admin")
	e.addUser(teacherEmail, "teacher")
	return e
}

func (e *env) addUser(email, role string) {
	e.t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		e.t.Fatal(err)
	}
	_, err = e.pool.Exec(context.Background(),
		`INSERT INTO users (email, first_name, last_name, password_hash, role) VALUES ($1, 'Test', 'User', $2, $3)`,
		email, string(hash), role)
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) count(query string) int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), query).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// storedFiles lists every file in the instance's storage folder.
func (e *env) storedFiles() []string {
	e.t.Helper()
	return filesIn(e.t, e.storeDir)
}

// filesIn lists every file below dir.
func filesIn(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// assertNothingQueued checks that no job, no audit row and no stored file exist.
func (e *env) assertNothingQueued() {
	e.t.Helper()
	if n := e.count(`SELECT count(*) FROM river_job WHERE kind IN ('import', 'export')`); n != 0 {
		e.t.Errorf("river_job rows: got %d, want 0", n)
	}
	// A refusal is audited, as refused; nothing else may be.
	if n := e.count(`SELECT count(*) FROM import_export_audits WHERE status <> 'refused' OR object_key IS NOT NULL OR river_job_id IS NOT NULL`); n != 0 {
		e.t.Errorf("audit rows other than refusals: got %d, want 0", n)
	}
	if f := e.storedFiles(); len(f) != 0 {
		e.t.Errorf("stored files: got %v, want none", f)
	}
}

// browser is one client with its own cookies.
type browser struct {
	e       *env
	cookies map[string]string
	host    string
	csrf    string // the session's CSRF token after login
}

func (e *env) browser() *browser {
	return &browser{e: e, cookies: map[string]string{}, host: stagingHost}
}

func (b *browser) do(req *http.Request, asJSON bool) *httptest.ResponseRecorder {
	b.e.t.Helper()
	req.Host = b.host
	if asJSON {
		req.Header.Set("Accept", "application/json")
	}
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	rec := httptest.NewRecorder()
	b.e.handler.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return rec
}

func (b *browser) get(path string, asJSON bool) *httptest.ResponseRecorder {
	return b.do(httptest.NewRequest(http.MethodGet, path, nil), asJSON)
}

func (b *browser) postForm(path string, form url.Values, asJSON bool) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req, asJSON)
}

// login logs in through the login form and remembers the session's CSRF token.
func (b *browser) login(email string) *httptest.ResponseRecorder {
	b.e.t.Helper()
	rec := b.loginWith(email, testPassword)
	if rec.Code != http.StatusSeeOther {
		b.e.t.Fatalf("login %s: got %d, want 303: %s", email, rec.Code, rec.Body)
	}
	page := b.get("/", false)
	b.csrf = between(page.Body.String(), `name="csrf_token" value="`, `"`)
	if b.csrf == "" {
		b.e.t.Fatalf("no csrf token on the home page: %s", page.Body)
	}
	return rec
}

func (b *browser) loginWith(email, password string) *httptest.ResponseRecorder {
	b.e.t.Helper()
	page := b.get("/login", false)
	_, form, _ := strings.Cut(page.Body.String(), `action="/login"`)
	token := between(form, `name="csrf_token" value="`, `"`)
	return b.postForm("/login", url.Values{"email": {email}, "password": {password}, "csrf_token": {token}}, false)
}

// importForm is the import form's fields in page order; the file comes last.
type importForm struct {
	fields [][2]string
	file   []byte
	name   string
}

func (b *browser) defaultImport(dump []byte) importForm {
	f := importForm{file: dump, name: "wippidu-export-20261125-101112.json.gz"}
	f.fields = append(f.fields, [2]string{"csrf_token", b.csrf})
	for _, k := range anonymizer.Keys {
		f.fields = append(f.fields, [2]string{"anonymize_" + k, "on"})
	}
	f.fields = append(f.fields, [2]string{"risk_ack", ""}, [2]string{"confirm_host", stagingHost})
	return f
}

func (f importForm) set(name, value string) importForm {
	out := f
	out.fields = nil
	found := false
	for _, kv := range f.fields {
		if kv[0] == name {
			found = true
			if value == "\x00" { // drop the field
				continue
			}
			kv[1] = value
		}
		out.fields = append(out.fields, kv)
	}
	if !found && value != "\x00" {
		out.fields = append(out.fields, [2]string{name, value})
	}
	return out
}

func (b *browser) postImport(f importForm, asJSON bool, header map[string]string) *httptest.ResponseRecorder {
	b.e.t.Helper()
	return b.postImportTo("/admin/data/import", f, asJSON, header)
}

// postImportTo posts the import form to path: the form's "Preview import" button
// posts it to /admin/data/preview.
func (b *browser) postImportTo(path string, f importForm, asJSON bool, header map[string]string) *httptest.ResponseRecorder {
	b.e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, kv := range f.fields {
		_ = mw.WriteField(kv[0], kv[1])
	}
	if f.file != nil {
		w, err := mw.CreateFormFile("dump", f.name)
		if err != nil {
			b.e.t.Fatal(err)
		}
		_, _ = w.Write(f.file)
	}
	_ = mw.Close()
	req := httptest.NewRequest(http.MethodPost, path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return b.do(req, asJSON)
}

func between(s, start, end string) string {
	_, rest, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, end)
	return v
}

// smallDump is a valid dump with no tables.
func smallDump(t *testing.T) []byte {
	return testdb.Gzip(t, `{"schema_version": 1, "app": "wippidu", "source_host": "app.wippidu.net", "exported_at": "2026-11-25T10:11:12Z", "include_attachments": true, "tables": []}`)
}

func jsonError(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var v struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("not a JSON error (%d): %s", rec.Code, rec.Body)
	}
	return v.Error
}

// bigDump is a dump with schema_version v whose gzip is far larger than the
// header buffer: one table with a random (incompressible) text value.
func bigDump(t *testing.T, v int) []byte {
	t.Helper()
	noise := make([]byte, 300<<10)
	_, _ = rand.Read(noise)
	return testdb.Gzip(t, fmt.Sprintf(`{"schema_version": %d, "app": "wippidu", "source_host": "app.wippidu.net", "exported_at": "2026-11-25T10:11:12Z", "include_attachments": true, "tables": [`+
		`{"name": "no_such_table", "columns": [{"name": "id", "type": "bigint"}, {"name": "x", "type": "text"}], "rows": [[1, %q]]}]}`,
		v, base64.StdEncoding.EncodeToString(noise)))
}

// holdLikeAnImport takes the lock a running import holds on table for its whole
// duration, in a transaction rolled back when the test ends.
func (e *env) holdLikeAnImport(t *testing.T, table string) {
	t.Helper()
	ctx := context.Background()
	tx, err := e.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback(ctx) })
	if _, err := tx.Exec(ctx, `LOCK TABLE `+pgx.Identifier{table}.Sanitize()+` IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
}
