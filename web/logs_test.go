package web_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wippidu/wippidu/internal/webclient"
)

// TestSecretsNeverLogged captures everything the web tier (and the jobs it starts)
// logs, at debug level, through a failed login, a login, an export with its
// download and an import, and looks for every secret in it.
func TestSecretsNeverLogged(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	l := startLive(t, logger)
	l.work(logger)
	hash := l.addAdmin(adminEmail)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// Every cookie the server sets (login CSRF cookies, the session cookie) is
	// recorded on its way into the clients' jars.
	cookies := &recordingJar{}
	const wrongPassword = "wrong horse battery staple"
	failed := webclient.New(l.addr, stagingHost)
	cookies.wrap(failed)
	var se *webclient.StatusError
	if err := failed.Login(ctx, adminEmail, wrongPassword); !errors.As(err, &se) || se.Status != http.StatusUnauthorized {
		t.Fatalf("failed login: got %v, want 401", err)
	}
	c := webclient.New(l.addr, stagingHost)
	cookies.wrap(c)
	if err := c.Login(ctx, adminEmail, testPassword); err != nil {
		t.Fatal(err)
	}

	exp, err := c.Export(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := c.Wait(ctx, exp.AuditID); err != nil || !st.Succeeded {
		t.Fatalf("export: %+v %v", st, err)
	}
	var dump bytes.Buffer
	if _, err := c.Download(ctx, exp.AuditID, &dump); err != nil {
		t.Fatal(err)
	}
	imp, err := c.Import(ctx, webclient.ImportForm{ConfirmHost: stagingHost}, &dump)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := c.Wait(ctx, imp.AuditID); err != nil || !st.Succeeded {
		t.Fatalf("import: %+v %v", st, err)
	}

	secrets := map[string]string{
		"password": testPassword, "wrong password": wrongPassword, "bcrypt hash": hash,
		"SESSION_SECRET": sessionSecret, "ANONYMIZER_SALT": liveSalt,
	}
	for i, ck := range cookies.set() {
		if ck.Value != "" {
			secrets[fmt.Sprintf("cookie %s (#%d)", ck.Name, i)] = ck.Value
		}
	}
	var csrf string
	if err := l.pool.QueryRow(ctx, `SELECT csrf_token FROM web_sessions WHERE email = $1`, adminEmail).Scan(&csrf); err != nil {
		t.Fatal(err)
	}
	secrets["session CSRF token"] = csrf
	if len(secrets) < 9 { // five above, two login CSRF cookies, the session cookie, the CSRF token
		t.Fatalf("collected only %d secrets: %v", len(secrets), secrets)
	}

	out := logs.String()
	// The capture worked: the log holds what happened, with the user it concerned.
	for _, want := range []string{`"msg":"login failed"`, `"msg":"login"`, `"msg":"import enqueued"`, `"msg":"import succeeded"`, adminEmail} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %s", want)
		}
	}
	for name, secret := range secrets {
		if len(secret) < 8 {
			t.Errorf("%s %q is too short to search for", name, secret)
			continue
		}
		if strings.Contains(out, secret) {
			t.Errorf("the log contains the %s", name)
		}
	}
	if strings.Contains(out, "$2a$") || strings.Contains(out, "$2b$") {
		t.Error("the log contains a bcrypt hash")
	}
}

// recordingJar keeps every cookie servers set on the clients it wraps.
type recordingJar struct {
	mu      sync.Mutex
	cookies []*http.Cookie
}

func (r *recordingJar) wrap(c *webclient.Client) {
	c.HTTP.Jar = &recordingJarOf{CookieJar: c.HTTP.Jar, r: r}
}

func (r *recordingJar) set() []*http.Cookie {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.cookies)
}

type recordingJarOf struct {
	http.CookieJar
	r *recordingJar
}

func (j *recordingJarOf) SetCookies(u *url.URL, cookies []*http.Cookie) {
	j.r.mu.Lock()
	j.r.cookies = append(j.r.cookies, cookies...)
	j.r.mu.Unlock()
	j.CookieJar.SetCookies(u, cookies)
}
