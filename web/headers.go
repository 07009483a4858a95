package web

import (
	"strings"

	"github.com/gin-gonic/gin"
)

// contentSecurityPolicy allows this site's own scripts, styles and images and
// nothing else: no inline script or style, no framing, no form posted elsewhere.
// Data URIs are allowed for images only.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"

// riverUIPolicy is the same for the River UI, whose libraries add style elements
// to the page at run time: inline styles are allowed there (they cannot run
// script); scripts stay this site's own. (Its one eval, a feature probe, fails
// harmlessly.)
const riverUIPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"

// securityHeaders sets the headers every response carries, error pages, static
// files and the River UI included.
func (s *Server) securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	policy := contentSecurityPolicy
	if strings.HasPrefix(c.Request.URL.Path, riverUIPrefix+"/") {
		policy = riverUIPolicy
	}
	h.Set("Content-Security-Policy", policy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	if s.app.SecureCookies {
		// Cookies that only travel over HTTPS need a site that is only reached
		// over HTTPS: no first plain request for a proxy on the way to read.
		h.Set("Strict-Transport-Security", "max-age=63072000")
	}
	c.Next()
}
