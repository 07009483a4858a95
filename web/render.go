package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/audit"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// pageData is what every page template gets.
type pageData struct {
	Title         string
	User          *session
	CSRF          string // the session's CSRF token for forms
	StagingBanner bool   // this instance holds imported production data
	// NotAnonymized lists the anonymizers the import whose data the instance
	// holds skipped: the banner then says the data is partly real, in red.
	NotAnonymized []string
	Data          map[string]any
}

var templateFuncs = template.FuncMap{
	"bytes": humanBytes,
	"count": humanCount,
	"int64": func(n int) int64 { return int64(n) },
	"time": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			return v.UTC().Format("2006-01-02 15:04:05 UTC")
		case *time.Time:
			if v != nil {
				return v.UTC().Format("2006-01-02 15:04:05 UTC")
			}
		}
		return ""
	},
	"deref": func(p any) any {
		switch v := p.(type) {
		case *string:
			if v != nil {
				return *v
			}
			return ""
		case *int64:
			if v != nil {
				return *v
			}
			return int64(0)
		}
		return p
	},
}

// parseTemplates parses each page together with the layout.
func parseTemplates() (map[string]*template.Template, error) {
	pages, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	out := map[string]*template.Template{}
	for _, p := range pages {
		name := strings.TrimPrefix(p, "templates/")
		if name == "layout.html" {
			continue
		}
		t, err := template.New(name).Funcs(templateFuncs).ParseFS(templateFiles, "templates/layout.html", p)
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// page collects what the layout needs for the current request.
func (s *Server) page(c *gin.Context, title string, data map[string]any) *pageData {
	pd := &pageData{Title: title, User: currentSession(c), Data: data}
	if pd.User != nil {
		pd.CSRF = pd.User.CSRFToken
		last, err := audit.LastImport(c.Request.Context(), s.pool)
		if err != nil {
			s.logger.ErrorContext(c.Request.Context(), "check imported data", "error", err)
		}
		if last != nil {
			pd.StagingBanner, pd.NotAnonymized = true, last.AnonymizersSkipped
		}
	}
	return pd
}

// render executes a page into a buffer first, so that a template error never
// sends half a page.
func (s *Server) render(c *gin.Context, status int, name string, data *pageData) {
	t := s.tmpl[name]
	var b bytes.Buffer
	if t == nil {
		s.logger.ErrorContext(c.Request.Context(), "no such template", "template", name)
		c.String(http.StatusInternalServerError, "Internal error.")
		return
	}
	if err := t.ExecuteTemplate(&b, "layout", data); err != nil {
		s.logger.ErrorContext(c.Request.Context(), "render", "template", name, "error", err)
		c.String(http.StatusInternalServerError, "Internal error.")
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Data(status, "text/html; charset=utf-8", b.Bytes())
}

// static serves the embedded CSS and JavaScript.
func (s *Server) static(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=300")
	c.FileFromFS("static"+c.Param("file"), http.FS(staticFiles))
}

// wantsJSON reports whether the client asked for JSON.
func wantsJSON(c *gin.Context) bool {
	return strings.Contains(c.GetHeader("Accept"), "application/json")
}

// errorMessage is the message shown to a user for err.
func errorMessage(err error) string { return wippidu.ErrorMessage(err) }

// humanCount formats a count for people: 184220 as "184,220".
func humanCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// humanBytes formats a byte count for people.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
