package web

import (
	"context"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/jobs"
	"github.com/wippidu/wippidu/pull"
)

// Importing straight from production's storage (SOURCE_STORAGE_URL): the Import
// section lists its newest exports, and an admin imports one without it ever
// passing through a browser. The web tier only reads headers; the worker streams
// the export from there.

// sourceTimeout bounds each look into production's storage: listing it with the
// headers of its newest exports, or finding one again.
const sourceTimeout = 10 * time.Second

// sourceSection is what the Import section shows of production's storage.
type sourceSection struct {
	Exports []pull.Export
	Error   string // why production's storage could not be listed
}

// sourceEnabled reports why this instance cannot import from production's
// storage, or nil when it can.
func (s *Server) sourceEnabled() error { return pull.Ready(s.app.AllowProdImport, s.cfg.Source) }

// listSources returns the newest exports in production's storage.
func (s *Server) listSources(ctx context.Context) ([]pull.Export, error) {
	ctx, cancel := context.WithTimeout(ctx, sourceTimeout)
	defer cancel()
	opts := s.pullOpts
	opts.Limit = pull.DefaultLimit
	list, err := pull.List(ctx, s.cfg.Source, opts)
	if err != nil {
		return nil, wippidu.SourceUnavailable(err)
	}
	return list, nil
}

// addSources puts production's newest exports on the page. A storage that
// cannot be read is a note in the section, not a failed page.
func (s *Server) addSources(c *gin.Context, data map[string]any) {
	if s.sourceEnabled() != nil {
		return
	}
	list, err := s.listSources(c.Request.Context())
	sec := &sourceSection{Exports: list}
	if err != nil {
		s.logger.WarnContext(c.Request.Context(), "list production storage", "error", err)
		sec.Error = errorMessage(err)
	}
	data["Source"] = sec
}

// sources answers GET /admin/data/sources: production's newest exports as JSON.
func (s *Server) sources(c *gin.Context) {
	if err := s.sourceEnabled(); err != nil {
		s.fail(c, err)
		return
	}
	list, err := s.listSources(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	if list == nil {
		list = []pull.Export{}
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"exports": list, "expected_host": requestHost(c.Request)})
}

// startSourceImport imports an export from production's storage: the same gates
// as an upload, then the export is found again by its key (only exports are
// found, whatever key was posted) and the import job reads it from there.
func (s *Server) startSourceImport(c *gin.Context) {
	if !s.app.AllowProdImport {
		s.failData(c, wippidu.ErrImportDisabled)
		return
	}
	key, gate, err := s.readSourceForm(c)
	if err != nil {
		s.failData(c, err)
		return
	}
	preview := formBool(c.PostForm("preview"))
	if err := s.sourceEnabled(); err != nil {
		s.failData(c, err)
		return
	}
	if !s.admitImport(c, gate) {
		return
	}
	ctx := c.Request.Context()
	if key == "" {
		s.failData(c, errNoSourceKey)
		return
	}
	e, err := s.findSource(ctx, key)
	if err != nil {
		s.failData(c, err)
		return
	}
	sub, err := s.sub.Import(ctx, jobs.ImportRequest{
		ImportGate: gate, RequestedBy: currentSession(c).Email,
		FileName: e.Name, ObjectKey: e.Key, Size: e.Size, Source: jobs.SourceProduction, Preview: preview,
	})
	if err != nil {
		s.failData(c, err)
		return
	}
	s.logger.InfoContext(ctx, "import from production storage enqueued", "job_id", sub.JobID, "audit_id", sub.AuditID,
		"requested_by", currentSession(c).Email, "key", e.Key, "bytes", e.Size, "anonymizers_off", gate.AnonymizersOff,
		"preview", preview)
	s.submitted(c, sub)
}

// readSourceForm reads the posted form — the export's key and the gates' fields —
// and keeps what a refusal's audit row should say.
func (s *Server) readSourceForm(c *gin.Context) (string, jobs.ImportGate, error) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxFieldBytes)
	if err := c.Request.ParseForm(); err != nil {
		return "", jobs.ImportGate{}, errBadForm
	}
	if !s.csrfOK(c) {
		return "", jobs.ImportGate{}, errCSRF
	}
	fields := map[string]string{}
	for k, v := range c.Request.PostForm {
		fields[k] = v[0]
	}
	key := strings.TrimSpace(fields["source_key"])
	gate := importGate(c, fields)
	facts := &refusalFacts{options: map[string]any{"confirm_host": gate.ConfirmHost, "anonymizers_off": gate.AnonymizersOff,
		"risk_acknowledged": gate.RiskAck != "", "source": jobs.SourceProduction.Label(), "preview": formBool(fields["preview"])}}
	if key != "" {
		facts.fileName = uploadFileName(path.Base(key))
	}
	c.Set(refusalKey, facts)
	return key, gate, nil
}

// findSource finds the export key names in production's storage and checks that
// its header can be read.
func (s *Server) findSource(ctx context.Context, key string) (pull.Export, error) {
	ctx, cancel := context.WithTimeout(ctx, sourceTimeout)
	defer cancel()
	return pull.Importable(ctx, s.cfg.Source, key, s.pullOpts)
}
