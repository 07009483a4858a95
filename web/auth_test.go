package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wippidu/wippidu/logins"
)

func TestAdminRequired(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{allowImport: true})
	anon := e.browser()
	teacher := e.browser()
	teacher.login(teacherEmail)
	routes := []struct{ method, path string }{
		{http.MethodGet, "/admin/data"},
		{http.MethodPost, "/admin/data/export"},
		{http.MethodPost, "/admin/data/import"},
		{http.MethodGet, "/admin/data/jobs/1"},
		{http.MethodGet, "/admin/data/exports/1/download"},
		{http.MethodGet, "/admin/river/"},
	}
	for _, r := range routes {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			req := func() *http.Request { return httpReq(r.method, r.path) }
			if rec := anon.do(req(), false); rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/login") {
				t.Errorf("anonymous browser: got %d %q, want 303 to /login", rec.Code, rec.Header().Get("Location"))
			}
			if rec := anon.do(req(), true); rec.Code != http.StatusUnauthorized || jsonError(t, rec) != "Please log in." {
				t.Errorf("anonymous API: got %d %s, want 401", rec.Code, rec.Body)
			}
			if rec := teacher.do(req(), true); rec.Code != http.StatusForbidden {
				t.Errorf("teacher API: got %d, want 403", rec.Code)
			}
			if rec := teacher.do(req(), false); rec.Code != http.StatusForbidden {
				t.Errorf("teacher browser: got %d, want 403", rec.Code)
			}
		})
	}
	if rec := anon.get("/", false); rec.Code != http.StatusSeeOther {
		t.Errorf("home for anonymous: got %d, want 303", rec.Code)
	}
	if rec := teacher.get("/", false); rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), "/admin/data") {
		t.Errorf("teacher home: got %d, or shows the admin menu", rec.Code)
	}
	e.assertNothingQueued()
}

func httpReq(method, path string) *http.Request {
	req, _ := http.NewRequest(method, path, nil)
	req.RemoteAddr = "192.0.2.1:1234"
	return req
}

func TestCSRFRequired(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{allowImport: true})
	b := e.browser()
	b.login(adminEmail)
	for _, token := range []string{"", "forged"} {
		form := url.Values{"include_attachments": {"true"}}
		if token != "" {
			form.Set("csrf_token", token)
		}
		if rec := b.postForm("/admin/data/export", form, true); rec.Code != http.StatusForbidden {
			t.Errorf("export with token %q: got %d, want 403", token, rec.Code)
		}
		if rec := b.postForm("/logout", form, false); rec.Code != http.StatusForbidden {
			t.Errorf("logout with token %q: got %d, want 403", token, rec.Code)
		}
	}
	e.assertNothingQueued()

	// The login form has its own token, bound to a signed cookie.
	fresh := e.browser()
	rec := fresh.postForm("/login", url.Values{"email": {adminEmail}, "password": {testPassword}}, false)
	if rec.Code != http.StatusForbidden || fresh.cookies["wippidu_session"] != "" {
		t.Errorf("login without token: got %d, session %q", rec.Code, fresh.cookies["wippidu_session"])
	}
	fresh.get("/login", false)
	rec = fresh.postForm("/login", url.Values{"email": {adminEmail}, "password": {testPassword}, "csrf_token": {"x.y"}}, false)
	if rec.Code != http.StatusForbidden {
		t.Errorf("login with a forged token: got %d", rec.Code)
	}

	// With the right token everything works, as header or as field.
	req := httpReq(http.MethodPost, "/admin/data/export")
	req.Header.Set("X-CSRF-Token", b.csrf)
	if rec := b.do(req, true); rec.Code != http.StatusAccepted {
		t.Errorf("export with header token: got %d %s", rec.Code, rec.Body)
	}
	if rec := b.postForm("/logout", url.Values{"csrf_token": {b.csrf}}, false); rec.Code != http.StatusSeeOther {
		t.Errorf("logout: got %d", rec.Code)
	}
	if rec := b.get("/admin/data", true); rec.Code != http.StatusUnauthorized {
		t.Errorf("after logout: got %d, want 401", rec.Code)
	}
}

func TestSessionIDChangesAtLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	b := e.browser()
	// A session id planted by an attacker is not adopted.
	b.cookies["wippidu_session"] = "planted-by-attacker"
	b.login(teacherEmail)
	first := b.cookies["wippidu_session"]
	if first == "" || first == "planted-by-attacker" {
		t.Fatalf("session cookie after login: %q", first)
	}
	// Logging in again (another user) issues a new id and ends the old session.
	b.login(adminEmail)
	second := b.cookies["wippidu_session"]
	if second == first {
		t.Fatal("session id unchanged by a second login")
	}
	old := e.browser()
	old.cookies["wippidu_session"] = first
	if rec := old.get("/", true); rec.Code != http.StatusUnauthorized {
		t.Errorf("old session still valid: got %d", rec.Code)
	}
	if n := e.count(`SELECT count(*) FROM web_sessions`); n != 1 {
		t.Errorf("sessions: got %d, want 1", n)
	}
	rec := e.browser().loginWith(adminEmail, testPassword)
	cookie := rec.Result().Cookies()
	for _, c := range cookie {
		if c.Name == "wippidu_session" && (!c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode) {
			t.Errorf("session cookie attributes: %+v", c)
		}
	}
}

func TestFailedLoginsAreSlowedDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{logins: logins.Config{Free: 3, Base: time.Second, Max: time.Minute}})
	b := e.browser()
	for i := 1; i <= 3; i++ {
		if rec := b.loginWith(adminEmail, "guess"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("guess %d: got %d, want 401", i, rec.Code)
		}
	}
	// The fourth failure starts the backoff: now even the right password waits.
	if rec := b.loginWith(adminEmail, "guess"); rec.Code != http.StatusUnauthorized {
		t.Fatalf("guess 4: got %d", rec.Code)
	}
	rec := b.loginWith(adminEmail, testPassword)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("during backoff: got %d (Retry-After %q), want 429", rec.Code, rec.Header().Get("Retry-After"))
	}
	// Another email from the same address is not affected.
	if rec := b.loginWith(teacherEmail, testPassword); rec.Code != http.StatusSeeOther {
		t.Errorf("other account: got %d, want 303", rec.Code)
	}
	time.Sleep(1100 * time.Millisecond)
	if rec := b.loginWith(adminEmail, testPassword); rec.Code != http.StatusSeeOther {
		t.Errorf("after waiting: got %d, want 303", rec.Code)
	}
}

func TestAuthAnswersWhileUsersLocked(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	b := e.browser()
	b.login(adminEmail)
	sub := b.postForm("/admin/data/export", url.Values{"csrf_token": {b.csrf}, "include_attachments": {"true"}}, true)
	if sub.Code != http.StatusAccepted {
		t.Fatalf("export: got %d %s", sub.Code, sub.Body)
	}
	jobID := between(sub.Body.String(), `"audit_id":`, `}`)

	e.holdLikeAnImport(t, "users")
	for _, path := range []string{"/admin/data/jobs/" + jobID, "/", "/admin/data"} {
		done := make(chan int, 1)
		go func() { done <- b.get(path, true).Code }()
		select {
		case code := <-done:
			if code != http.StatusOK {
				t.Errorf("%s while users is locked: got %d, want 200", path, code)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s blocked by the lock on users", path)
		}
	}
}
