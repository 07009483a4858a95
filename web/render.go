package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/audit"
)

// Pages are templates/*.html; templates/*.tmpl are partials every page may use.
//
//go:embed templates/*.html templates/*.tmpl
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
	// Instance is this instance's name, and Staging says it takes imports: every
	// page, the login page included, tells production and staging apart.
	Instance string
	Staging  bool
	Data     map[string]any
}

var templateFuncs = template.FuncMap{
	"bytes": wippidu.FormatBytes,
	"count": wippidu.FormatCount,
	"phase": wippidu.PhaseLabel,
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
		t, err := template.New(name).Funcs(templateFuncs).ParseFS(templateFiles, "templates/layout.html", "templates/*.tmpl", p)
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// page collects what the layout needs for the current request.
func (s *Server) page(c *gin.Context, title string, data map[string]any) *pageData {
	pd := &pageData{Title: title, User: currentSession(c), Data: data, Instance: s.app.Hostname, Staging: s.app.AllowProdImport}
	if pd.Instance == "" {
		pd.Instance = requestHost(c.Request)
	}
	if pd.User != nil {
		pd.CSRF = pd.User.CSRFToken
		s.addBanner(c, pd)
	}
	return pd
}

// addBanner shows the staging banner once the instance holds imported data.
func (s *Server) addBanner(c *gin.Context, pd *pageData) {
	last, err := audit.LastImport(c.Request.Context(), s.pool)
	if err != nil {
		s.logger.ErrorContext(c.Request.Context(), "check imported data", "error", err)
	}
	if last != nil {
		pd.StagingBanner, pd.NotAnonymized = true, last.AnonymizersSkipped
	}
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

// static serves the embedded CSS and JavaScript: files only, never a listing of
// a directory.
func (s *Server) static(c *gin.Context) {
	name := path.Clean("static" + c.Param("file"))
	if st, err := fs.Stat(staticFiles, name); err != nil || st.IsDir() {
		s.fail(c, errNotFound)
		return
	}
	c.Header("Cache-Control", "public, max-age=300")
	c.FileFromFS(name, http.FS(staticFiles))
}

// wantsJSON reports whether the client asked for JSON.
func wantsJSON(c *gin.Context) bool {
	return strings.Contains(c.GetHeader("Accept"), "application/json")
}

// errorMessage is the message shown to a user for err.
func errorMessage(err error) string { return wippidu.ErrorMessage(err) }
