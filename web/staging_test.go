package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/internal/testdb"
	"github.com/wippidu/wippidu/internal/webclient"
	"github.com/wippidu/wippidu/transfer"
)

const (
	bossEmail = "boss@staging.wippidu.net" // the admin who starts the refresh
	opsEmail  = "ops@staging.wippidu.net"  // in STAGING_ADMINS
)

// productionDump is an export of a production database holding the fixture, whose
// user 1 is an admin.
func productionDump(t *testing.T) []byte {
	t.Helper()
	pool := pgtest.NewPool(t, pgtest.NewDB(t))
	testdb.Fixture(t, pool)
	conn, err := pool.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	var b bytes.Buffer
	if _, err := transfer.Export(context.Background(), conn.Conn(), &b, transfer.ExportOptions{SourceHost: "app.wippidu.net", IncludeAttachments: true}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// addUser adds a user with a role and password.
func (l *live) addUser(email, role, password string) {
	l.t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		l.t.Fatal(err)
	}
	if _, err := l.pool.Exec(context.Background(), `INSERT INTO users (email, first_name, last_name, password_hash, role)
		VALUES ($1, 'Test', 'User', $2, $3)`, email, string(hash), role); err != nil {
		l.t.Fatal(err)
	}
}

// refresh imports dump through the web tier as c and waits for the result.
func refresh(t *testing.T, c *webclient.Client, dump []byte, form webclient.ImportForm) *wippidu.ImportResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if form.ConfirmHost == "" {
		form.ConfirmHost = stagingHost
	}
	sub, err := c.Import(ctx, form, bytes.NewReader(dump))
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	st, err := c.Wait(ctx, sub.AuditID)
	if err != nil || !st.Succeeded {
		t.Fatalf("import job: %+v %v", st, err)
	}
	var res wippidu.ImportResult
	if err := json.Unmarshal(st.Result, &res); err != nil {
		t.Fatal(err)
	}
	return &res
}

// TestRefreshKeepsStagingAdminsAndEndsOtherSessions: after a refresh the admin who
// started it and STAGING_ADMINS keep their login and role (ids past the imported
// ones), the admin's session goes on, and every other session is over.
func TestRefreshKeepsStagingAdminsAndEndsOtherSessions(t *testing.T) {
	t.Parallel()
	for _, demote := range []bool{false, true} {
		name := map[bool]string{false: "imported admins kept", true: "imported admins demoted"}[demote]
		t.Run(name, func(t *testing.T) {
			logger := slog.New(slog.DiscardHandler)
			l := startLive(t, logger, func(v map[string]string) {
				v["STAGING_ADMINS"] = opsEmail
				v["IMPORTED_ADMINS"] = map[bool]string{false: "keep", true: "demote"}[demote]
			})
			l.work(logger)
			testdb.Fixture(t, l.pool)
			l.addAdmin(bossEmail)
			l.addAdmin(opsEmail)
			l.addUser("teacher.before@staging.wippidu.net", "teacher", testPassword)
			boss := l.login(bossEmail)
			teacher := l.login("teacher.before@staging.wippidu.net")
			ctx := context.Background()
			if page, err := teacher.Page(ctx, "/"); err != nil || strings.Contains(page, `name="password"`) {
				t.Fatalf("the teacher's session before the refresh: %v", err)
			}

			res := refresh(t, boss, productionDump(t), webclient.ImportForm{})
			if want := []string{bossEmail, opsEmail}; !slices.Equal(res.KeptAccounts, want) {
				t.Errorf("kept accounts: got %v, want %v", res.KeptAccounts, want)
			}
			// The admin who started it is still logged in, as the kept account.
			if page, err := boss.Page(ctx, "/admin/data"); err != nil || !strings.Contains(page, bossEmail) {
				t.Errorf("the importing admin's session after the refresh: %v", err)
			}
			// Every other session is over: its next page is the login page.
			var se *webclient.StatusError
			if page, err := teacher.Page(ctx, "/"); err != nil || !strings.Contains(page, `name="password"`) {
				t.Errorf("a session of the replaced data after the refresh: %v, want the login page", err)
			}
			if err := webclient.New(l.addr, stagingHost).Login(ctx, "teacher.before@staging.wippidu.net", testPassword); !errors.As(err, &se) {
				t.Errorf("staging's former teacher can still log in: %v", err)
			}
			for _, email := range []string{bossEmail, opsEmail} {
				l.login(email) // fails the test when the login does not work
			}
			var maxImported, lowestKept, next int64
			if err := l.pool.QueryRow(ctx, `SELECT max(id) FILTER (WHERE email NOT IN ($1, $2)), min(id) FILTER (WHERE email IN ($1, $2)),
				nextval('users_id_seq') FROM users`, bossEmail, opsEmail).Scan(&maxImported, &lowestKept, &next); err != nil {
				t.Fatal(err)
			}
			if lowestKept <= maxImported || next <= lowestKept+1 {
				t.Errorf("ids: imported up to %d, kept from %d, next %d: want kept past imported and the sequence past both", maxImported, lowestKept, next)
			}
			var keptRoles, prodAdminRole string
			if err := l.pool.QueryRow(ctx, `SELECT string_agg(DISTINCT role, ',') FROM users WHERE email IN ($1, $2)`, bossEmail, opsEmail).Scan(&keptRoles); err != nil {
				t.Fatal(err)
			}
			if err := l.pool.QueryRow(ctx, `SELECT role FROM users WHERE email = 'user-1@staging.local'`).Scan(&prodAdminRole); err != nil {
				t.Fatal(err)
			}
			if wantProd := map[bool]string{false: "admin", true: "parent"}[demote]; keptRoles != "admin" || prodAdminRole != wantProd {
				t.Errorf("roles: kept admins %s, production's admin %s; want admin and %s", keptRoles, prodAdminRole, wantProd)
			}
			if res.ImportedAdmins != map[bool]string{false: "keep", true: "demote"}[demote] {
				t.Errorf("result says imported admins %q", res.ImportedAdmins)
			}
		})
	}
}

// clientFrom is an HTTP client whose connections come from addr (a loopback
// address of its own), that does not follow redirects.
func clientFrom(addr string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(addr)}, Timeout: 10 * time.Second}
	return &http.Client{
		Transport:     &http.Transport{DialContext: d.DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// postLogin logs in through the form as a browser does and returns the response.
func postLogin(t *testing.T, l *live, hc *http.Client, email, password, next string) *http.Response {
	t.Helper()
	return postLoginAs(t, l, hc, email, password, next, "")
}

// postLoginVia is postLogin through a proxy that says the browser is at
// forwardedFor (its X-Forwarded-For).
func postLoginVia(t *testing.T, l *live, hc *http.Client, email, password, forwardedFor string) *http.Response {
	t.Helper()
	return postLoginAs(t, l, hc, email, password, "/", forwardedFor)
}

func postLoginAs(t *testing.T, l *live, hc *http.Client, email, password, next, forwardedFor string) *http.Response {
	t.Helper()
	jar := map[string]string{}
	get, _ := http.NewRequest(http.MethodGet, "http://"+l.addr+"/login?next="+url.QueryEscape(next), nil)
	get.Host = stagingHost
	if forwardedFor != "" {
		get.Header.Set("X-Forwarded-For", forwardedFor)
	}
	resp, err := hc.Do(get)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		jar[c.Name] = c.Value
	}
	token := between(string(page), `name="csrf_token" value="`, `"`)
	form := url.Values{"email": {email}, "password": {password}, "csrf_token": {token}, "next": {next}}
	post, _ := http.NewRequest(http.MethodPost, "http://"+l.addr+"/login", strings.NewReader(form.Encode()))
	post.Host = stagingHost
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if forwardedFor != "" {
		post.Header.Set("X-Forwarded-For", forwardedFor)
	}
	for k, v := range jar {
		post.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err = hc.Do(post)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestLoginRedirectsStayOnThisSite tries the ways a next parameter can lead a
// browser elsewhere after logging in.
func TestLoginRedirectsStayOnThisSite(t *testing.T) {
	t.Parallel()
	l := startLive(t, slog.New(slog.DiscardHandler))
	l.addAdmin(adminEmail)
	hc := clientFrom("127.0.0.1")
	for next, want := range map[string]string{
		"/admin/data?job=5":               "/admin/data?job=5",
		"/%09/evil.example/x":             "/",
		"/\t/evil.example/x":              "/",
		"/\r/evil.example":                "/",
		"/\n/evil.example":                "/",
		"//evil.example":                  "/",
		"/\\evil.example":                 "/",
		"\\\\evil.example":                "/",
		"/%2F%2Fevil.example":             "/",
		"/%5Cevil.example":                "/",
		"/%252F%252Fevil.example":         "/",
		"https://evil.example/":           "/",
		"http:/evil.example":              "/",
		"javascript:alert(1)":             "/",
		" /admin/data":                    "/",
		"/admin/data#frag":                "/admin/data#frag",
		"/%E2%80%AE/evil.example":         "/%E2%80%AE/evil.example",
		"/admin/data?next=//evil.example": "/admin/data?next=//evil.example",
	} {
		resp := postLogin(t, l, hc, adminEmail, testPassword, next)
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || loc != want {
			t.Errorf("next %q: got %d to %q, want 303 to %q", next, resp.StatusCode, loc, want)
		}
		if u, err := url.Parse(loc); err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") {
			t.Errorf("next %q: %q is not a path of this site", next, loc)
		}
	}
}

// TestEveryResponseCarriesSecurityHeaders looks at pages, files, errors, JSON and
// the River UI.
func TestEveryResponseCarriesSecurityHeaders(t *testing.T) {
	t.Parallel()
	l := startLive(t, slog.New(slog.DiscardHandler))
	l.addAdmin(adminEmail)
	c := l.login(adminEmail)
	for _, path := range []string{"/login", "/", "/admin/data", "/static/style.css", "/static/app.js", "/admin/river/", "/no/such/page", "/healthz", "/admin/data/jobs/999"} {
		req, _ := http.NewRequest(http.MethodGet, "http://"+l.addr+path, nil)
		req.Host = stagingHost
		resp, err := c.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for h, want := range map[string]string{
			"Content-Security-Policy": "default-src 'self'",
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "same-origin",
			"X-Frame-Options":         "DENY",
		} {
			if got := resp.Header.Get(h); !strings.Contains(got, want) {
				t.Errorf("%s: %s is %q, want %q", path, h, got, want)
			}
		}
		csp := resp.Header.Get("Content-Security-Policy")
		inlineStyles := strings.Contains(csp, "style-src 'self' 'unsafe-inline'")
		if !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe-eval") ||
			inlineStyles != strings.HasPrefix(path, "/admin/river/") {
			t.Errorf("%s: Content-Security-Policy %q (inline styles only for the River UI, scripts always the site's own)", path, csp)
		}
	}
}

// TestBannerSaysWhatIsReal: after an import with an anonymizer switched off the
// banner names what is real production data, in red; after a fully anonymized one
// it says nothing is real.
func TestBannerSaysWhatIsReal(t *testing.T) {
	t.Parallel()
	logger := slog.New(slog.DiscardHandler)
	l := startLive(t, logger, func(v map[string]string) { v["STAGING_ADMINS"] = bossEmail })
	l.work(logger)
	l.addAdmin(bossEmail)
	boss := l.login(bossEmail)
	dump := productionDump(t)
	ctx := context.Background()

	refresh(t, boss, dump, webclient.ImportForm{RiskAck: anonymizer.RiskAck, AnonymizersOff: []string{anonymizer.Names, anonymizer.BirthDates}})
	home, err := boss.Page(ctx, "/")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(home, `class="staging-banner partly-real"`) || !strings.Contains(home, "not fully anonymized") ||
		!strings.Contains(home, "names, birth_dates are real production data") || strings.Contains(home, "Nothing here is real") {
		t.Errorf("banner after an opt-out: %s", between(home, "<body>", "<header"))
	}
	refresh(t, boss, dump, webclient.ImportForm{})
	if home, err = boss.Page(ctx, "/"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(home, "Nothing here is real") || strings.Contains(home, "partly-real") {
		t.Errorf("banner after a full anonymization: %s", between(home, "<body>", "<header"))
	}
}

// TestRefusalsAreAudited refuses imports and exports for each reason there is and
// finds each in the history: refused, why, who, from where, nothing stored.
func TestRefusalsAreAudited(t *testing.T) {
	t.Parallel()
	l := startLive(t, slog.New(slog.DiscardHandler)) // no worker: a queued import stays queued
	l.addAdmin(adminEmail)
	c := l.login(adminEmail)
	ctx := context.Background()
	dump := productionDump(t)
	try := func(form webclient.ImportForm, file []byte) {
		t.Helper()
		if form.ConfirmHost == "" {
			form.ConfirmHost = stagingHost
		}
		if _, err := c.Import(ctx, form, bytes.NewReader(file)); err == nil {
			t.Fatalf("import %+v was accepted", form)
		}
	}
	try(webclient.ImportForm{ConfirmHost: "app.wippidu.net"}, dump)
	try(webclient.ImportForm{AnonymizersOff: []string{anonymizer.Emails}}, dump)
	try(webclient.ImportForm{}, testdb.Gzip(t, `{"schema_version": 9, "app": "wippidu", "tables": []}`))
	try(webclient.ImportForm{}, []byte("not a dump"))
	if _, err := c.Import(ctx, webclient.ImportForm{ConfirmHost: stagingHost}, bytes.NewReader(dump)); err != nil {
		t.Fatal(err) // queued; no worker runs it
	}
	try(webclient.ImportForm{}, dump) // busy
	// An export posted without the form's token.
	req, _ := http.NewRequest(http.MethodPost, "http://"+l.addr+"/admin/data/export", strings.NewReader("include_attachments=true"))
	req.Host = stagingHost
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if resp, err := c.HTTP.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("export without a token: %v %v", resp, err)
	}

	rows, err := l.pool.Query(ctx, `SELECT kind, requested_by, coalesce(client_addr, ''), coalesce(error_message, ''), coalesce(object_key, ''), river_job_id IS NULL
		FROM import_export_audits WHERE status = 'refused' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	type refusal struct {
		kind, by, addr, reason, key string
		noJob                       bool
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (refusal, error) {
		var f refusal
		err := r.Scan(&f.kind, &f.by, &f.addr, &f.reason, &f.key, &f.noJob)
		return f, err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{wippidu.ErrHostMismatch.Message, wippidu.ErrRiskNotAcked.Message, "Dump schema version 9 is newer than this instance supports.",
		wippidu.ErrNotADump.Message, wippidu.ErrImportBusy.Message, "The form has expired. Reload the page and try again."}
	if len(got) != len(want) {
		t.Fatalf("refusals in the history: got %d (%+v), want %d", len(got), got, len(want))
	}
	for i, r := range got {
		if r.reason != want[i] || r.by != adminEmail || r.addr != "127.0.0.1" || r.key != "" || !r.noJob {
			t.Errorf("refusal %d: %+v, want %q by %s from 127.0.0.1, nothing stored", i, r, want[i], adminEmail)
		}
	}
	if got[len(got)-1].kind != string(wippidu.KindExport) || got[0].kind != string(wippidu.KindImport) {
		t.Errorf("kinds: %+v", got)
	}
	page, err := c.Page(ctx, "/admin/data")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(page, `class="pill refused"`) != len(want) {
		t.Errorf("the history shows %d refusals, want %d", strings.Count(page, `class="pill refused"`), len(want))
	}
}

// TestFailedLoginKeepsTheTypedEmail: the form shows it again and the log names it.
func TestFailedLoginKeepsTheTypedEmail(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	l := startLive(t, slog.New(slog.NewJSONHandler(&logs, nil)))
	l.addAdmin(adminEmail)
	resp := postLogin(t, l, clientFrom("127.0.0.1"), "Boss@Wippidu.Example", "wrong horse", "/")
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(page), `value="Boss@Wippidu.Example"`) {
		t.Errorf("failed login: %d, the form does not show the typed email", resp.StatusCode)
	}
	if !strings.Contains(logs.String(), `"msg":"login failed","email":"Boss@Wippidu.Example"`) {
		t.Errorf("log of the failed login: %s", logs.String())
	}
}
