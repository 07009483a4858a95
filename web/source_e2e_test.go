package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/config"
	"github.com/wippidu/wippidu/dump"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/internal/s3test"
	"github.com/wippidu/wippidu/internal/testdb"
	"github.com/wippidu/wippidu/internal/webclient"
	"github.com/wippidu/wippidu/storage"
	"github.com/wippidu/wippidu/web"
	"github.com/wippidu/wippidu/worker"
)

// appTables are the app's tables, whose rows a refresh replaces.
var appTables = []string{"users", "school_classes", "students", "guardianships", "messages", "parental_letters",
	"letter_acknowledgements", "attachments"}

// fullInstance is a whole instance as it is deployed: its own database, web.Main
// serving HTTP and worker.Main working the queues, configured from vars alone.
type fullInstance struct {
	pool *pgxpool.Pool
	addr string
	host string
}

func startInstance(t *testing.T, host string, vars map[string]string) *fullInstance {
	t.Helper()
	ctx := context.Background()
	dbURL := pgtest.NewDB(t)
	env := map[string]string{"DATABASE_URL": dbURL, "LISTEN_ADDR": "127.0.0.1:0", "APP_HOSTNAME": host,
		"SESSION_SECRET": sessionSecret, "SECURE_COOKIES": "false", "LOGIN_ATTEMPTS_PER_MINUTE": "10000"}
	for k, v := range vars {
		env[k] = v
	}
	cfg, err := config.Parse(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	w := web.NewMain(cfg, logger, dump.CheckUpload)
	if err := w.Run(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })
	store, err := storage.Open(ctx, cfg.StorageURL)
	if err != nil {
		t.Fatal(err)
	}
	source, err := worker.OpenSource(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	in := &fullInstance{pool: pgtest.NewPool(t, dbURL), addr: strings.TrimPrefix(w.URL(), "http://"), host: host}
	wm := &worker.Main{Deps: &worker.Deps{Pool: in.pool, Storage: store, Source: source, Config: cfg,
		Policy: anonymizer.DefaultPolicy(), Logger: logger}, Drain: 5 * time.Second}
	if err := wm.Run(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = wm.Close() })
	return in
}

// admin adds an admin and returns a client logged in as them.
func (in *fullInstance) admin(t *testing.T, email string) *webclient.Client {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.pool.Exec(context.Background(), `INSERT INTO users (email, first_name, last_name, password_hash, role)
		VALUES ($1, 'Test', 'Admin', $2, 'admin')`, email, string(hash)); err != nil {
		t.Fatal(err)
	}
	c := webclient.New(in.addr, in.host)
	if err := c.Login(context.Background(), email, testPassword); err != nil {
		t.Fatalf("login %s: %v", email, err)
	}
	return c
}

func (in *fullInstance) rowCounts(t *testing.T) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, table := range appTables {
		var n int64
		if err := in.pool.QueryRow(context.Background(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

// bucketKeys lists every object in the bucket.
func bucketKeys(t *testing.T, srv *s3test.Server) []string {
	t.Helper()
	out, err := srv.Client.ListObjectsV2(context.Background(), &awss3.ListObjectsV2Input{Bucket: aws.String(srv.Bucket)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

// TestStagingImportsStraightFromProductionStorage runs production and staging as
// deployed, each with its own database and its own prefix in one S3 bucket.
// Production exports through its worker; staging, whose SOURCE_STORAGE_URL is
// production's storage, lists the export over HTTP and imports it from a post of
// the form's fields alone. Staging then holds production's rows, anonymized;
// production's export is still there, and staging's storage never held a byte.
func TestStagingImportsStraightFromProductionStorage(t *testing.T) {
	srv := s3test.Start(t)
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	s3URL := func(prefix string) string {
		return "s3://" + srv.Bucket + "/" + prefix + "?endpoint=" + srv.Endpoint + "&region=" + srv.Region + "&path_style=true"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	prod := startInstance(t, "app.wippidu.net", map[string]string{"STORAGE_URL": s3URL("production")})
	testdb.Fixture(t, prod.pool)
	testdb.BulkMessages(t, prod.pool, 500)
	prodAdmin := prod.admin(t, "boss@app.wippidu.net")
	exp, err := prodAdmin.Export(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := prodAdmin.Wait(ctx, exp.AuditID); err != nil || !st.Succeeded {
		t.Fatalf("export: %+v %v", st, err)
	}
	want := prod.rowCounts(t)
	prodEmails := pgtest.Strings(t, prod.pool, `SELECT email FROM users`)
	prodKeys := bucketKeys(t, srv)
	if len(prodKeys) != 1 || !strings.HasPrefix(prodKeys[0], "production/exports/") {
		t.Fatalf("bucket after the export: %v, want production's export alone", prodKeys)
	}

	staging := startInstance(t, stagingHost, map[string]string{"STORAGE_URL": s3URL("staging"), "SOURCE_STORAGE_URL": s3URL("production"),
		"APP_ALLOW_PROD_IMPORT": "true", "ANONYMIZER_SALT": liveSalt})
	testdb.Fixture(t, staging.pool) // staging's data of before, to be replaced
	boss := staging.admin(t, bossEmail)

	page, err := boss.Page(ctx, "/admin/data")
	if err != nil {
		t.Fatal(err)
	}
	list, err := boss.Sources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || "production/"+list[0].Key != prodKeys[0] || list[0].SourceHost != "app.wippidu.net" || !list[0].IncludeAttachments || list[0].HeaderError != "" {
		t.Fatalf("sources: got %+v, want production's export", list)
	}
	for _, want := range []string{list[0].Name, `value="` + list[0].Key + `"`, `<td class="source-host">app.wippidu.net</td>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the Import section lacks %q", want)
		}
	}

	sub, err := boss.ImportFromSource(ctx, webclient.ImportForm{ConfirmHost: stagingHost}, list[0].Key)
	if err != nil {
		t.Fatal(err)
	}
	st, err := boss.Wait(ctx, sub.AuditID)
	if err != nil || !st.Succeeded {
		t.Fatalf("import: %+v %v", st, err)
	}
	var res wippidu.ImportResult
	if err := json.Unmarshal(st.Result, &res); err != nil {
		t.Fatal(err)
	}
	if res.SourceHost != "app.wippidu.net" || !slices.Equal(res.AnonymizersRun, anonymizer.Keys) || res.LeakCheck == nil || res.LeakCheck.Found != 0 {
		t.Errorf("result: source %q, anonymizers %v, leak check %+v", res.SourceHost, res.AnonymizersRun, res.LeakCheck)
	}

	got := staging.rowCounts(t)
	want["users"]++ // the admin who imported is kept
	for _, table := range appTables {
		if got[table] != want[table] {
			t.Errorf("%s on staging: %d rows, want production's %d", table, got[table], want[table])
		}
	}
	stagingEmails := pgtest.Strings(t, staging.pool, `SELECT email FROM users`)
	for _, e := range prodEmails {
		if slices.Contains(stagingEmails, e) {
			t.Errorf("production's email %s is on staging", e)
		}
	}
	if keys := bucketKeys(t, srv); !slices.Equal(keys, prodKeys) {
		t.Errorf("bucket after the import: %v, want production's export alone, untouched: %v", keys, prodKeys)
	}
	result, err := boss.Page(ctx, "/admin/data?job="+jsonInt(int(sub.AuditID)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(result, `<dd id="result-source">`+list[0].Name+`, read straight from production storage</dd>`) {
		t.Errorf("the result panel does not say the dump came from production storage")
	}
}
