package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/internal/webclient"
	"github.com/wippidu/wippidu/transfer"
)

// stagingRefreshed is a staging instance, served over real HTTP with its job queues
// running, after its own admin (bossEmail) refreshed it with every anonymizer on
// from production's dump: production's user 1, an admin there, is now
// user-1@staging.local with the staging password. Production's storage holds the
// same dump as an export, and boss has made an export of staging.
type stagingRefreshed struct {
	*live
	boss         *webclient.Client
	prod         []byte
	bossHash     string // boss's own bcrypt hash
	opsHash      string // ops's (STAGING_ADMINS) own bcrypt hash
	exportID     int64  // boss's export of staging, audit id
	sourceExport string // the key of production's export in its storage
}

func refreshStaging(t *testing.T, logger *slog.Logger, importedAdmins string) *stagingRefreshed {
	t.Helper()
	sourceDir := t.TempDir()
	l := startLive(t, logger, func(v map[string]string) {
		v["STAGING_ADMINS"] = opsEmail
		v["SOURCE_STORAGE_URL"] = "file://" + sourceDir
		if importedAdmins != "" {
			v["IMPORTED_ADMINS"] = importedAdmins
		}
	})
	l.work(logger)
	s := &stagingRefreshed{live: l, prod: productionDump(t)}
	s.sourceExport = "exports/1/wippidu-export-20261125-101112.json.gz"
	if err := os.MkdirAll(filepath.Join(sourceDir, "exports", "1"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sourceDir, filepath.FromSlash(s.sourceExport)), s.prod, 0o600); err != nil {
		t.Fatal(err)
	}
	s.bossHash, s.opsHash = l.addAdmin(bossEmail), l.addAdmin(opsEmail)
	s.boss = l.login(bossEmail)
	refresh(t, s.boss, s.prod, webclient.ImportForm{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sub, err := s.boss.Export(ctx, true)
	if err != nil {
		t.Fatalf("staging's own admin exports: %v", err)
	}
	if st, err := s.boss.Wait(ctx, sub.AuditID); err != nil || !st.Succeeded {
		t.Fatalf("export: %+v %v", st, err)
	}
	s.exportID = sub.AuditID
	return s
}

// wantRefused checks that err is the refusal of data work.
func wantRefused(t *testing.T, what string, err error) {
	t.Helper()
	var se *webclient.StatusError
	if !errors.As(err, &se) || se.Status != http.StatusForbidden {
		t.Errorf("%s: got %v, want 403", what, err)
		return
	}
	// Page and Download only know the status; the JSON answers carry the message.
	if !strings.Contains(se.Message, "own admin accounts") && se.Message != "Forbidden" && se.Message != "download refused" {
		t.Errorf("%s: refused with %q, want the data-work refusal", what, se.Message)
	}
}

// TestImportedAdminsNeverDoDataWork logs in as production's admin on staging with
// the public address scheme and the staging password, as anyone could. By default
// (IMPORTED_ADMINS=demote) that account is no admin at all. With keep it is an
// app admin that may look at the Import/Export page, but every way of doing data
// work is refused: an import with every anonymizer off, a preview with one off, an
// import from production's storage, an export, a download, River UI's pages and
// actions. Nothing is enqueued and every refused post is audited.
func TestImportedAdminsNeverDoDataWork(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("default: demoted", func(t *testing.T) {
		s := refreshStaging(t, slog.New(slog.DiscardHandler), "")
		c := webclient.New(s.addr, stagingHost)
		if err := c.Login(ctx, "user-1@staging.local", anonymizer.StagingPassword); err != nil {
			t.Fatalf("the imported account logs in with the staging password: %v", err)
		}
		var se *webclient.StatusError
		if _, err := c.Page(ctx, "/admin/data"); !errors.As(err, &se) || se.Status != http.StatusForbidden {
			t.Errorf("/admin/data as production's demoted admin: got %v, want 403", err)
		}
	})
	t.Run("keep: may look, not act", func(t *testing.T) {
		s := refreshStaging(t, slog.New(slog.DiscardHandler), "keep")
		c := webclient.New(s.addr, stagingHost)
		if err := c.Login(ctx, "user-1@staging.local", anonymizer.StagingPassword); err != nil {
			t.Fatalf("the imported admin logs in with the staging password: %v", err)
		}
		page, err := c.Page(ctx, "/admin/data")
		if err != nil {
			t.Fatalf("/admin/data as a kept imported admin: %v", err)
		}
		if !strings.Contains(page, "You may look, not act") || strings.Contains(page, `id="import-form"`) ||
			strings.Contains(page, `id="export-form"`) || strings.Contains(page, "/admin/river/") {
			t.Error("the page offers data work to an imported admin")
		}
		queued := s.count(`SELECT count(*) FROM river_job`)
		audits := s.count(`SELECT count(*) FROM import_export_audits WHERE status = 'refused'`)

		optOut := webclient.ImportForm{ConfirmHost: stagingHost, RiskAck: anonymizer.RiskAck, AnonymizersOff: anonymizer.Keys}
		_, err = c.Import(ctx, optOut, bytes.NewReader(s.prod))
		wantRefused(t, "an import with every anonymizer off", err)
		_, err = c.Preview(ctx, webclient.ImportForm{ConfirmHost: stagingHost, RiskAck: anonymizer.RiskAck,
			AnonymizersOff: []string{anonymizer.Emails}}, bytes.NewReader(s.prod))
		wantRefused(t, "a preview with an anonymizer off", err)
		_, err = c.ImportFromSource(ctx, webclient.ImportForm{ConfirmHost: stagingHost}, s.sourceExport)
		wantRefused(t, "an import from production's storage", err)
		_, err = c.Sources(ctx)
		wantRefused(t, "listing production's storage", err)
		_, err = c.Export(ctx, true)
		wantRefused(t, "an export", err)
		_, err = c.Download(ctx, s.exportID, io.Discard)
		wantRefused(t, "downloading staging's export", err)
		_, err = c.Page(ctx, "/admin/river/")
		wantRefused(t, "River UI", err)
		err = c.Request(ctx, http.MethodGet, "/admin/river/api/jobs?state=completed", "", nil, nil)
		wantRefused(t, "River UI's job list", err)
		err = c.Request(ctx, http.MethodPost, "/admin/river/api/jobs/retry", "", strings.NewReader(`{"ids":[1]}`), nil)
		wantRefused(t, "River UI's retry", err)

		if n := s.count(`SELECT count(*) FROM river_job`); n != queued {
			t.Errorf("jobs: %d before the attempts, %d after; want none enqueued", queued, n)
		}
		if n := s.count(`SELECT count(*) FROM import_export_audits WHERE status = 'refused'
			AND error_message LIKE '%own admin accounts%'`); n != audits+4 {
			t.Errorf("refusals audited: %d more, want one per refused post on the Import/Export page (4)", n-audits)
		}
		// Staging's own admin still does all of it.
		if _, err := s.boss.Sources(ctx); err != nil {
			t.Errorf("staging's own admin lists production's storage: %v", err)
		}
		if _, err := s.boss.Page(ctx, "/admin/river/"); err != nil {
			t.Errorf("staging's own admin opens River UI: %v", err)
		}
	})
}

// TestStagingPasswordNeverDoesDataWork: one of staging's own admins whose password
// is the public staging password may log in and look, but not act.
func TestStagingPasswordNeverDoesDataWork(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l := startLive(t, slog.New(slog.DiscardHandler), func(v map[string]string) { v["STAGING_ADMINS"] = opsEmail })
	l.addUser(opsEmail, "admin", anonymizer.StagingPassword)
	c := webclient.New(l.addr, stagingHost)
	if err := c.Login(ctx, opsEmail, anonymizer.StagingPassword); err != nil {
		t.Fatal(err)
	}
	_, err := c.Export(ctx, true)
	wantRefused(t, "an export by an admin logged in with the staging password", err)
	l.addAdmin(bossEmail)
	if _, err := l.login(bossEmail).Export(ctx, true); err != nil {
		t.Errorf("an admin with a password of its own: %v", err)
	}
}

// TestExportNeverCarriesOwnAdminsPasswords exports staging after a refresh: the
// rows of staging's own admins (the importing admin and STAGING_ADMINS) carry no
// password hash, and no byte of their hashes is in the file.
func TestExportNeverCarriesOwnAdminsPasswords(t *testing.T) {
	t.Parallel()
	s := refreshStaging(t, slog.New(slog.DiscardHandler), "")
	var b bytes.Buffer
	if _, err := s.boss.Download(context.Background(), s.exportID, &b); err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	for who, hash := range map[string]string{"the importing admin": s.bossHash, "STAGING_ADMINS": s.opsHash} {
		if bytes.Contains(raw, []byte(hash)) {
			t.Errorf("the export carries the password hash of %s", who)
		}
	}
	if n := bytes.Count(raw, []byte(transfer.LockedPassword)); n != 2 {
		t.Errorf("the export holds %d locked passwords, want 2 (the kept admins)", n)
	}
	if !bytes.Contains(raw, []byte("$2a$")) {
		t.Error("the export holds no bcrypt hash at all: the other accounts' hashes should be there")
	}
}

// TestPageSaysWhoMayImport: the Import section names staging's own admins, and
// without STAGING_ADMINS the page and the log at start say what is missing.
func TestPageSaysWhoMayImport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l := startLive(t, slog.New(slog.DiscardHandler), func(v map[string]string) { v["STAGING_ADMINS"] = opsEmail + "," + bossEmail })
	l.addAdmin(bossEmail)
	page, err := l.login(bossEmail).Page(ctx, "/admin/data")
	if err != nil {
		t.Fatal(err)
	}
	who := between(page, `id="who-may-import"`, "</p>")
	for _, want := range []string{opsEmail, bossEmail, "STAGING_ADMINS", "own password"} {
		if !strings.Contains(who, want) {
			t.Errorf("who may import: %q lacks %q", who, want)
		}
	}

	var logs syncBuffer
	l = startLive(t, slog.New(slog.NewJSONHandler(&logs, nil)))
	l.addAdmin(bossEmail)
	page, err = l.login(bossEmail).Page(ctx, "/admin/data")
	if err != nil {
		t.Fatal(err)
	}
	if who := between(page, `id="who-may-import"`, "</p>"); !strings.Contains(who, "STAGING_ADMINS is not set") {
		t.Errorf("without STAGING_ADMINS the page says %q", who)
	}
	if !strings.Contains(logs.String(), `"level":"WARN","msg":"APP_ALLOW_PROD_IMPORT=true and STAGING_ADMINS is empty`) {
		t.Errorf("no warning at start without STAGING_ADMINS; log:\n%s", logs.String())
	}
}

// TestLoginLimitBehindTrustedProxy runs staging behind a proxy (TRUSTED_PROXIES is
// loopback, where the test's requests come from) while other clients flood it with
// failed logins of the real admin's email: each client network is slowed, and the
// real admin, on a network of its own, logs in at once. An IPv6 client's /64 is
// one network. Forwarded headers from a peer that is not trusted are ignored.
func TestLoginLimitBehindTrustedProxy(t *testing.T) {
	t.Parallel()
	l := startLive(t, slog.New(slog.DiscardHandler), func(v map[string]string) {
		v["LOGIN_ATTEMPTS_PER_MINUTE"] = "5"
		v["TRUSTED_PROXIES"] = "127.0.0.0/8, ::1"
	})
	l.addAdmin(adminEmail)
	proxy := clientFrom("127.0.0.1")
	// Each network's bucket holds 5 and refills at 5 a minute: on a slow machine
	// the flood takes long enough for a few more to get through.
	start := time.Now()
	through := func() int { return 5 + int(math.Ceil(5*time.Since(start).Minutes())) }
	slowed := 0
	for i := range 60 {
		// Six networks of attackers, one an IPv6 /64 with ten addresses in it; each
		// request also carries a spoofed hop, left of what the proxy appended.
		from := fmt.Sprintf("198.51.100.%d", i%5)
		if i%6 == 5 {
			from = fmt.Sprintf("2001:db8:7:7::%x", i)
		}
		resp := postLoginVia(t, l, proxy, adminEmail, "guess", "203.0.113.7, "+from)
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			slowed++
		}
	}
	if n := through(); slowed < 60-6*n {
		t.Errorf("60 failed logins from 6 networks: %d slowed, want at least %d (%d a network get through)", slowed, 60-6*n, n)
	}
	resp := postLoginVia(t, l, proxy, adminEmail, testPassword, "203.0.113.7")
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the real admin behind the proxy after the flood: got %d, want 303 (logged in)", resp.StatusCode)
	}

	// Without trust, the same headers change nothing: one peer, one network.
	plain := startLive(t, slog.New(slog.DiscardHandler), func(v map[string]string) { v["LOGIN_ATTEMPTS_PER_MINUTE"] = "5" })
	plain.addAdmin(adminEmail)
	slowed, start = 0, time.Now()
	for i := range 20 {
		resp := postLoginVia(t, plain, proxy, adminEmail, "guess", fmt.Sprintf("192.0.2.%d", i))
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			slowed++
		}
	}
	if n := through(); slowed < 20-n {
		t.Errorf("20 logins with spoofed X-Forwarded-For and no trusted proxy: %d slowed, want at least %d", slowed, 20-n)
	}
}

// TestDoorDetails: HSTS where cookies are Secure, no directory listing under
// /static/, HEAD wherever GET is answered, a refused preview logged as one.
func TestDoorDetails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, secure := range []bool{true, false} {
		l := startLive(t, slog.New(slog.DiscardHandler), func(v map[string]string) { v["SECURE_COOKIES"] = fmt.Sprint(secure) })
		for _, path := range []string{"/login", "/healthz", "/no/such/page"} {
			resp := get(t, l, http.MethodGet, path)
			if got := resp.Header.Get("Strict-Transport-Security"); (got == "max-age=63072000") != secure {
				t.Errorf("SECURE_COOKIES=%v: %s has Strict-Transport-Security %q", secure, path, got)
			}
		}
	}
	var logs syncBuffer
	l := startLive(t, slog.New(slog.NewJSONHandler(&logs, nil)))
	for _, path := range []string{"/static/", "/static/.", "/static/../static/", "/static//"} {
		if resp := get(t, l, http.MethodGet, path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: got %d, want 404 (no listing)", path, resp.StatusCode)
		}
	}
	if resp := get(t, l, http.MethodGet, "/static"); resp.StatusCode == http.StatusOK {
		t.Error("GET /static: got 200, want no listing")
	}
	for path, want := range map[string]int{"/login": 200, "/healthz": 200, "/readyz": 200, "/static/style.css": 200,
		"/": http.StatusSeeOther, "/admin/data": http.StatusSeeOther} {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			if resp := get(t, l, method, path); resp.StatusCode != want {
				t.Errorf("%s %s: got %d, want %d", method, path, resp.StatusCode, want)
			}
		}
	}
	l.addAdmin(bossEmail)
	_, err := l.login(bossEmail).Preview(ctx, webclient.ImportForm{ConfirmHost: "app.wippidu.net"}, bytes.NewReader(smallDump(t)))
	var se *webclient.StatusError
	if !errors.As(err, &se) || se.Status != http.StatusForbidden {
		t.Fatalf("a preview with the wrong hostname: got %v, want 403", err)
	}
	if log := logs.String(); !strings.Contains(log, `"msg":"preview refused"`) || strings.Contains(log, "export refused") {
		t.Errorf("a refused preview is logged as:\n%s", log)
	}
	if n := l.count(`SELECT count(*) FROM import_export_audits WHERE kind = 'import' AND status = 'refused'`); n != 1 {
		t.Errorf("the refused preview's audit rows of kind import: %d, want 1", n)
	}
}

// get sends method to path without following redirects.
func get(t *testing.T, l *live, method, path string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+l.addr+path, nil)
	req.Host = stagingHost
	resp, err := clientFrom("127.0.0.1").Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// TestUploadCutOffByTheClient drops the connection in the middle of an upload's
// file: the answer is the cut-off upload's 400, logged as a warning, not a 500
// with an error, and nothing is left in storage.
func TestUploadCutOffByTheClient(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	l := startLive(t, slog.New(slog.NewJSONHandler(&logs, nil)))
	l.addAdmin(bossEmail)
	c := l.login(bossEmail)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("csrf_token", c.CSRF())
	_ = mw.WriteField("confirm_host", stagingHost)
	for _, k := range anonymizer.Keys {
		_ = mw.WriteField("anonymize_"+k, "on")
	}
	part, _ := mw.CreateFormFile("dump", "wippidu-export.json.gz")
	_, _ = part.Write(bigDump(t, 1))
	_ = mw.Close()
	sent := body.Bytes()[:body.Len()/2]

	conn, err := net.Dial("tcp", l.addr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST /admin/data/import HTTP/1.1\r\nHost: %s\r\nAccept: application/json\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s\r\n",
		stagingHost, mw.FormDataContentType(), body.Len(), c.CookieHeader()+"\r\n")
	if _, err := conn.Write(sent); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the file has begun to arrive
	conn.Close()

	var line string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, `"msg":"http request"`) && strings.Contains(l, `"route":"/admin/data/import"`) {
				line = l
			}
		}
		if line != "" {
			break
		}
	}
	if !strings.Contains(line, `"status":400`) {
		t.Errorf("the cut-off upload was answered: %s", line)
	}
	if log := logs.String(); strings.Contains(log, `"level":"ERROR"`) || !strings.Contains(log, "upload cut off by the client") {
		t.Errorf("log of a cut-off upload:\n%s", log)
	}
	if files := filesIn(t, l.storeDir); len(files) != 0 {
		t.Errorf("left in storage: %v", files)
	}
}

// TestImportFormReadsLittleBeforeItsChecks posts import forms with 3,000 text
// fields before the file, long (64 KiB) and short: each is refused having read at
// most 64 KiB of the body.
func TestImportFormReadsLittleBeforeItsChecks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{allowImport: true})
	b := e.browser()
	b.login(adminEmail)
	for _, size := range []int{64 << 10, 100} {
		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		go func() {
			_ = mw.WriteField("csrf_token", b.csrf)
			value := strings.Repeat("x", size)
			for i := range 3000 {
				if err := mw.WriteField(fmt.Sprintf("field%d", i), value); err != nil {
					return // the server stopped reading
				}
			}
			pw.CloseWithError(mw.Close())
		}()
		body := &countingReader{r: pr}
		req := httptest.NewRequest(http.MethodPost, "/admin/data/import", body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		rec := b.do(req, true)
		pr.CloseWithError(io.ErrClosedPipe)
		if rec.Code != http.StatusBadRequest {
			t.Errorf("3,000 fields of %d bytes: got %d %s, want 400", size, rec.Code, rec.Body)
		}
		if body.n > 64<<10 {
			t.Errorf("3,000 fields of %d bytes: %d bytes read before the refusal, want at most 64 KiB", size, body.n)
		}
	}
	e.assertNothingQueued()
}

// countingReader counts what is read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
