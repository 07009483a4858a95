package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/wippidu/wippidu/accounts"
	"github.com/wippidu/wippidu/logins"
	"github.com/wippidu/wippidu/sessions"
)

const (
	sessionCookie = "wippidu_session"
	sessionKey    = "wippidu.session"
)

// sqlFindUser finds an account for a login. Besides it, only the read-only data page
// (package browse) reads app tables from the web tier.
const sqlFindUser = `SELECT id, email, password_hash, role FROM users
	WHERE lower(email) = lower($1) AND deleted_at IS NULL`

// dummyHash is compared when no user matches, so that a login takes as long
// whether or not the email exists: the bcrypt hash of "no such user" at
// bcrypt.DefaultCost, made once here rather than at every start of the web tier
// (TestDummyHashCostsWhatARealOneDoes).
var dummyHash = []byte("$2a$10$rH4qitIcCQNmLrEBIMjVAuP/zwDIhqGpebUvGD6wB6qB.4lax3qTy")

func (s *Server) setCookie(c *gin.Context, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.app.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

// loadSession attaches the session of the request's cookie, if it is live.
func (s *Server) loadSession(c *gin.Context) {
	token, err := c.Cookie(sessionCookie)
	if err != nil || token == "" {
		c.Next()
		return
	}
	ss, err := sessions.Find(c.Request.Context(), s.pool, token)
	if err != nil {
		s.fail(c, err)
		return
	}
	if ss != nil {
		c.Set(sessionKey, ss)
	}
	c.Next()
}

// requireLogin sends anonymous browsers to the login page; API clients get 401.
func (s *Server) requireLogin(c *gin.Context) {
	if currentSession(c) != nil {
		c.Next()
		return
	}
	c.Abort()
	switch {
	case wantsJSON(c):
		s.fail(c, errLoginNeeded)
	case c.Request.Method == http.MethodGet:
		c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request.URL.RequestURI()))
	default:
		c.Redirect(http.StatusSeeOther, "/login")
	}
}

// requireAdmin refuses users without the admin role.
func (s *Server) requireAdmin(c *gin.Context) {
	if !currentSession(c).IsAdmin() {
		s.fail(c, errNotAdmin)
		return
	}
	c.Next()
}

// requireDataRights refuses data work (imports, previews, exports, downloads,
// River UI) to a session that may only look (sessions.Session.MayDoDataWork). A
// refused post on the Import/Export page is audited like every refusal there.
func (s *Server) requireDataRights(c *gin.Context) {
	if currentSession(c).MayDoDataWork() {
		c.Next()
		return
	}
	if c.Request.Method == http.MethodPost && strings.HasPrefix(c.FullPath(), "/admin/data/") {
		s.failData(c, errNoDataRights)
		return
	}
	s.fail(c, errNoDataRights)
}

func (s *Server) loginPage(c *gin.Context) {
	token := s.loginCSRFToken(c)
	if wantsJSON(c) {
		c.JSON(http.StatusOK, gin.H{"csrf_token": token})
		return
	}
	s.renderLogin(c, http.StatusOK, map[string]any{"LoginCSRF": token, "Next": safeNext(c.Query("next"))})
}

// login checks the password, replaces any earlier session with a new one (no
// session fixation) and limits attempts per client network and failures per email
// and network (package logins, shared by every replica). The form's CSRF cookie is
// checked before its body is read, so an anonymous post of any size costs a
// cookie lookup.
func (s *Server) login(c *gin.Context) {
	if !s.loginCSRFCookieOK(c) {
		s.loginFailed(c, loginForm{}, errCSRF)
		return
	}
	form := loginForm{email: strings.TrimSpace(c.PostForm("email")), next: c.PostForm("next")}
	typed := form.email
	if !s.loginCSRFOK(c, c.PostForm(csrfField)) {
		s.loginFailed(c, form, errCSRF)
		return
	}
	ctx := c.Request.Context()
	addr := s.clientIP(c.Request)
	network := logins.Network(clientAddr(c.Request, s.app.TrustedProxies))
	wait, err := s.admitLogin(ctx, typed, network)
	if err != nil {
		s.fail(c, err)
		return
	}
	if wait > 0 {
		c.Header("Retry-After", strconv.Itoa(int(wait.Round(time.Second)/time.Second)+1))
		s.logger.WarnContext(ctx, "login slowed down", "email", typed, "client", addr, "network", network)
		s.loginFailed(c, form, errLoginTooFast)
		return
	}
	acct, err := s.checkPassword(ctx, typed, c.PostForm("password"))
	if errors.Is(err, errLoginFailed) {
		s.logger.WarnContext(ctx, "login failed", "email", typed, "client", addr)
		if ferr := s.limits.Fail(ctx, typed, network); ferr != nil {
			err = ferr
		}
	}
	if err != nil {
		s.loginFailed(c, form, err)
		return
	}
	if err := s.limits.Reset(ctx, typed, network); err != nil {
		s.fail(c, err)
		return
	}
	s.startSession(c, acct, form.next)
}

// loginForm is what a login post said, for the page that answers it.
type loginForm struct{ email, next string }

// admitLogin returns how long a login of email from network must wait: the
// email's own backoff from that network first, then the network's bucket (a
// refused attempt does not spend a token).
func (s *Server) admitLogin(ctx context.Context, email, network string) (time.Duration, error) {
	wait, err := s.limits.Wait(ctx, email, network)
	if err != nil || wait > 0 {
		return wait, err
	}
	return s.limits.Take(ctx, network)
}

// account is a user whose password matched.
type account struct {
	id          int64
	email, role string
	dataRights  bool
}

// startSession ends the browser's earlier session, starts one for acct and
// sends the browser on.
func (s *Server) startSession(c *gin.Context, acct account, next string) {
	ctx := c.Request.Context()
	if old, err := c.Cookie(sessionCookie); err == nil && old != "" {
		if err := sessions.Delete(ctx, s.pool, old); err != nil {
			s.fail(c, err)
			return
		}
	}
	token, ss, err := sessions.Create(ctx, s.pool, sessions.New{UserID: acct.id, Email: acct.email, Role: acct.role,
		DataRights: acct.dataRights, TTL: s.cfg.SessionTTL})
	if err != nil {
		s.fail(c, err)
		return
	}
	s.setCookie(c, sessionCookie, token, int(s.cfg.SessionTTL/time.Second))
	s.logger.InfoContext(ctx, "login", "email", acct.email, "role", acct.role, "data_rights", acct.dataRights)
	if wantsJSON(c) {
		c.JSON(http.StatusOK, gin.H{"email": acct.email, "role": acct.role, "data_rights": acct.dataRights, "csrf_token": ss.CSRFToken})
		return
	}
	c.Redirect(http.StatusSeeOther, safeNext(next))
}

// checkPassword returns the account when email and password match, with whether
// it may do data work (accounts.DataRights).
func (s *Server) checkPassword(ctx context.Context, email, password string) (account, error) {
	var a account
	var hash string
	err := s.pool.QueryRow(ctx, sqlFindUser, email).Scan(&a.id, &a.email, &hash, &a.role)
	if errors.Is(err, pgx.ErrNoRows) || email == "" {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return account{}, errLoginFailed
	}
	if err != nil {
		return account{}, fmt.Errorf("find user: %w", err)
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		return account{}, errLoginFailed
	}
	a.dataRights, err = accounts.DataRights(ctx, s.pool, accounts.Login{Email: a.email, Role: a.role, Password: password})
	return a, err
}

func (s *Server) loginFailed(c *gin.Context, form loginForm, err error) {
	if wantsJSON(c) {
		s.fail(c, err)
		return
	}
	s.logIfInternal(c, err)
	s.renderLogin(c, httpStatus(err), map[string]any{
		"LoginCSRF": s.loginCSRFToken(c), "Next": safeNext(form.next),
		"Email": form.email, "Error": errorMessage(err),
	})
}

// renderLogin shows the login page. Before anyone logs in, it already says which
// instance this is and, on staging, whose data it holds.
func (s *Server) renderLogin(c *gin.Context, status int, data map[string]any) {
	pd := s.page(c, "Log in", data)
	s.addBanner(c, pd)
	s.render(c, status, "login.html", pd)
}

func (s *Server) logout(c *gin.Context) {
	if token, err := c.Cookie(sessionCookie); err == nil {
		if err := sessions.Delete(c.Request.Context(), s.pool, token); err != nil {
			s.fail(c, err)
			return
		}
	}
	s.setCookie(c, sessionCookie, "", -1)
	if wantsJSON(c) {
		c.JSON(http.StatusOK, gin.H{"logged_out": true})
		return
	}
	c.Redirect(http.StatusSeeOther, "/login")
}

// safeNext keeps redirects after login on this site: only a path of this site
// passes. Browsers drop tabs and line breaks from a URL and read "\\" as "/", so
// "/\t/evil.example" and "/\\evil.example" lead elsewhere; such a next, anything
// with a scheme or host, and anything that decodes to those, becomes "/".
func safeNext(next string) string {
	for _, s := range []string{next, unescaped(next)} {
		if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.ContainsAny(s, "\\\x00\t\r\n") {
			return "/"
		}
		for _, r := range s {
			if r < 0x20 || r == 0x7f {
				return "/"
			}
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	return next
}

// unescaped is s with its percent-escapes decoded (once more while any are
// left), or "" when it cannot be decoded.
func unescaped(s string) string {
	for range 3 {
		u, err := url.PathUnescape(s)
		if err != nil {
			return ""
		}
		if u == s {
			return s
		}
		s = u
	}
	return s
}
