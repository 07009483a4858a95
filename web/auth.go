package web

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"
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
// whether or not the email exists.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("no such user"), bcrypt.DefaultCost)

func (s *Server) setCookie(c *gin.Context, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.app.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

// currentSession returns the request's session, or nil.
func currentSession(c *gin.Context) *session {
	v, _ := c.Get(sessionKey)
	ss, _ := v.(*session)
	return ss
}

// loadSession attaches the session of the request's cookie, if it is live.
func (s *Server) loadSession(c *gin.Context) {
	token, err := c.Cookie(sessionCookie)
	if err != nil || token == "" {
		c.Next()
		return
	}
	ss, err := s.findSession(c.Request.Context(), token)
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
	if !currentSession(c).isAdmin() {
		s.fail(c, errNotAdmin)
		return
	}
	c.Next()
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
// session fixation) and slows down attempts per client address and repeated
// failures per email and address.
func (s *Server) login(c *gin.Context) {
	typed := strings.TrimSpace(c.PostForm("email"))
	if !s.loginCSRFOK(c, c.PostForm(csrfField)) {
		s.loginFailed(c, typed, errCSRF)
		return
	}
	addr := clientIP(c.Request)
	key := strings.ToLower(typed) + "|" + addr
	wait := s.backoff.Wait(key)
	if wait == 0 {
		wait = s.cfg.LoginLimit.Take(addr)
	}
	if wait > 0 {
		c.Header("Retry-After", strconv.Itoa(int(wait.Round(time.Second)/time.Second)+1))
		s.logger.WarnContext(c.Request.Context(), "login slowed down", "email", typed, "client", addr)
		s.loginFailed(c, typed, errLoginTooFast)
		return
	}
	id, email, role, err := s.checkPassword(c.Request.Context(), typed, c.PostForm("password"))
	if errors.Is(err, errLoginFailed) {
		s.backoff.Fail(key)
		s.logger.WarnContext(c.Request.Context(), "login failed", "email", typed, "client", addr)
	}
	if err != nil {
		s.loginFailed(c, typed, err)
		return
	}
	s.backoff.Reset(key)
	if old, err := c.Cookie(sessionCookie); err == nil && old != "" {
		if err := s.deleteSession(c.Request.Context(), old); err != nil {
			s.fail(c, err)
			return
		}
	}
	token, csrf, err := s.createSession(c.Request.Context(), id, email, role)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.setCookie(c, sessionCookie, token, int(s.cfg.SessionTTL/time.Second))
	s.logger.InfoContext(c.Request.Context(), "login", "email", email, "role", role)
	if wantsJSON(c) {
		c.JSON(http.StatusOK, gin.H{"email": email, "role": role, "csrf_token": csrf})
		return
	}
	c.Redirect(http.StatusSeeOther, safeNext(c.PostForm("next")))
}

// checkPassword returns the user's id, stored email and role when email and
// password match.
func (s *Server) checkPassword(ctx context.Context, email, password string) (int64, string, string, error) {
	var (
		id                 int64
		stored, hash, role string
	)
	err := s.pool.QueryRow(ctx, sqlFindUser, email).Scan(&id, &stored, &hash, &role)
	if errors.Is(err, pgx.ErrNoRows) || email == "" {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return 0, "", "", errLoginFailed
	}
	if err != nil {
		return 0, "", "", fmt.Errorf("find user: %w", err)
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		return 0, "", "", errLoginFailed
	}
	return id, stored, role, nil
}

func (s *Server) loginFailed(c *gin.Context, email string, err error) {
	if wantsJSON(c) {
		s.fail(c, err)
		return
	}
	s.logIfInternal(c, err)
	s.renderLogin(c, httpStatus(err), map[string]any{
		"LoginCSRF": s.loginCSRFToken(c), "Next": safeNext(c.PostForm("next")),
		"Email": email, "Error": errorMessage(err),
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
		if err := s.deleteSession(c.Request.Context(), token); err != nil {
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

// clientIP is the connection's peer address: forwarded headers are not trusted.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
