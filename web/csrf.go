package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/wippidu/wippidu/sessions"
)

// CSRF protection. A logged-in user's forms carry the session's csrf_token (API
// clients may send it as X-CSRF-Token). The login form, which has no session
// yet, carries a token that must equal a cookie signed with SESSION_SECRET.

const (
	csrfField       = "csrf_token"
	csrfHeader      = "X-CSRF-Token"
	loginCSRFCookie = "wippidu_login_csrf"
)

func equalTokens(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// sessionCSRFOK reports whether the request carries the session's CSRF token,
// given the form value (which the caller read in its own way).
func sessionCSRFOK(c *gin.Context, formValue string) bool {
	ss := currentSession(c)
	if ss == nil {
		return false
	}
	if h := c.GetHeader(csrfHeader); h != "" {
		return equalTokens(h, ss.CSRFToken)
	}
	return equalTokens(formValue, ss.CSRFToken)
}

// checkCSRF refuses a state-changing request without the session's CSRF token.
func (s *Server) checkCSRF(c *gin.Context) {
	if !s.csrfOK(c) {
		s.fail(c, errCSRF)
		return
	}
	c.Next()
}

// checkDataCSRF is checkCSRF for the Import/Export page's posts: a refusal shows
// on the page and is audited like the others.
func (s *Server) checkDataCSRF(c *gin.Context) {
	if !s.csrfOK(c) {
		s.failData(c, errCSRF)
		return
	}
	c.Next()
}

func (s *Server) csrfOK(c *gin.Context) bool {
	form := ""
	if c.GetHeader(csrfHeader) == "" {
		form = c.PostForm(csrfField)
	}
	return sessionCSRFOK(c, form)
}

// loginCSRFToken returns the browser's login CSRF token, issuing a new cookie when
// it has none or a forged one.
func (s *Server) loginCSRFToken(c *gin.Context) string {
	if v, err := c.Cookie(loginCSRFCookie); err == nil && s.validLoginToken(v) {
		return v
	}
	nonce := sessions.RandomToken(16)
	token := nonce + "." + s.signLogin(nonce)
	s.setCookie(c, loginCSRFCookie, token, 0)
	return token
}

// loginCSRFCookieOK is what a login post must have before its body is read: a
// login CSRF cookie this instance signed, and, where the token comes as a
// header, that header. A post from nowhere is refused unread.
func (s *Server) loginCSRFCookieOK(c *gin.Context) bool {
	cookie, err := c.Cookie(loginCSRFCookie)
	if err != nil || !s.validLoginToken(cookie) {
		return false
	}
	h := c.GetHeader(csrfHeader)
	return h == "" || equalTokens(h, cookie)
}

// loginCSRFOK checks a login post's token against its cookie and signature.
func (s *Server) loginCSRFOK(c *gin.Context, formValue string) bool {
	if h := c.GetHeader(csrfHeader); h != "" {
		formValue = h
	}
	cookie, err := c.Cookie(loginCSRFCookie)
	return err == nil && equalTokens(formValue, cookie) && s.validLoginToken(cookie)
}

func (s *Server) signLogin(nonce string) string {
	m := hmac.New(sha256.New, []byte(s.app.SessionSecret))
	m.Write([]byte("login-csrf:" + nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s *Server) validLoginToken(token string) bool {
	nonce, sig, ok := strings.Cut(token, ".")
	return ok && nonce != "" && hmac.Equal([]byte(sig), []byte(s.signLogin(nonce)))
}

// checkRiverOrigin protects the River UI's API, whose own frontend cannot send our
// token: a state-changing request must come from this origin (or carry the token).
func (s *Server) checkRiverOrigin(c *gin.Context) {
	switch c.Request.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		c.Next()
		return
	}
	if sessionCSRFOK(c, "") || c.GetHeader("Sec-Fetch-Site") == "same-origin" {
		c.Next()
		return
	}
	if o := c.GetHeader("Origin"); o != "" {
		if u, err := url.Parse(o); err == nil && strings.EqualFold(u.Host, c.Request.Host) {
			c.Next()
			return
		}
	}
	s.fail(c, errCSRF)
}
