package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/jobs"
	"github.com/wippidu/wippidu/sealed"
)

// startExport enqueues an export of this instance. Browsers are sent back to the
// page, which follows the job and then downloads the file.
func (s *Server) startExport(c *gin.Context) {
	req := jobs.ExportRequest{
		RequestedBy:        currentSession(c).Email,
		IncludeAttachments: formBool(c.PostForm("include_attachments")),
		SourceHost:         s.app.Hostname,
	}
	if req.SourceHost == "" {
		req.SourceHost = requestHost(c.Request)
	}
	sub, err := s.sub.Export(c.Request.Context(), req)
	if err != nil {
		s.failData(c, err)
		return
	}
	s.logger.InfoContext(c.Request.Context(), "export enqueued", "job_id", sub.JobID, "audit_id", sub.AuditID,
		"requested_by", req.RequestedBy, "include_attachments", req.IncludeAttachments)
	s.submitted(c, sub)
}

// submitted answers a successful export or import post.
func (s *Server) submitted(c *gin.Context, sub jobs.Submitted) {
	if wantsJSON(c) {
		c.JSON(http.StatusAccepted, sub)
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/data?job="+strconv.FormatInt(sub.AuditID, 10))
}

// failData answers a refused export or import: JSON, or the page with the message.
func (s *Server) failData(c *gin.Context, err error) {
	s.auditRefusal(c, err)
	if wantsJSON(c) {
		s.fail(c, err)
		return
	}
	c.Abort()
	s.renderData(c, httpStatus(err), err)
}

// refusalKey is where a request keeps what its refusal's audit row should say.
const refusalKey = "wippidu.refusal"

// refusalFacts are what a refused import told before it was refused.
type refusalFacts struct {
	fileName string
	options  map[string]any
}

// auditRefusal records a refused export or import (a gate, the hostname, the risk
// text, a newer or foreign file, another import running, an expired form): who,
// from where, why. Internal failures are no refusals; they are logged.
func (s *Server) auditRefusal(c *gin.Context, err error) {
	if wippidu.ErrorCode(err) == wippidu.EINTERNAL {
		return
	}
	var facts *refusalFacts
	if v, ok := c.Get(refusalKey); ok {
		facts = v.(*refusalFacts)
	}
	kind, what := refusedKind(c.FullPath(), facts)
	r := audit.Refusal{Kind: kind, ClientAddr: s.clientIP(c.Request), Reason: errorMessage(err)}
	if ss := currentSession(c); ss != nil {
		r.RequestedBy = ss.Email
	}
	if facts != nil {
		r.FileName, r.Options = facts.fileName, facts.options
	}
	ctx := context.WithoutCancel(c.Request.Context())
	if _, aerr := audit.Refuse(ctx, s.pool, r); aerr != nil {
		s.logger.ErrorContext(ctx, "record refusal", "error", aerr)
	}
	s.logger.WarnContext(ctx, what+" refused", "requested_by", r.RequestedBy, "client", r.ClientAddr, "reason", r.Reason)
}

// refusedKind is what a refused post on the Import/Export page asked for: its
// audit row's kind, and the word its log line uses (a preview is an import that
// rolls back, and says so).
func refusedKind(route string, facts *refusalFacts) (wippidu.Kind, string) {
	if !strings.Contains(route, "/import") && !strings.Contains(route, "/preview") && !strings.Contains(route, "/sources") {
		return wippidu.KindExport, string(wippidu.KindExport)
	}
	if route == "/admin/data/preview" || (facts != nil && facts.options["preview"] == true) {
		return wippidu.KindImport, "preview"
	}
	return wippidu.KindImport, string(wippidu.KindImport)
}

// download streams a finished export from storage.
func (s *Server) download(c *gin.Context) {
	ctx := c.Request.Context()
	a, ok := s.auditParam(c, errNotExport, func(a *audit.Record) bool {
		return a.Kind == wippidu.KindExport && a.Status == audit.StatusSucceeded && a.ObjectKey != nil && a.FileName != nil
	})
	if !ok {
		return
	}
	obj, err := s.store.Stat(ctx, *a.ObjectKey)
	var r io.ReadCloser
	if err == nil {
		r, err = s.store.Open(ctx, *a.ObjectKey)
	}
	if errors.Is(err, os.ErrNotExist) {
		s.fail(c, errNotExport) // housekeeping deleted it after the retention period
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	defer r.Close()
	h := c.Writer.Header()
	// age files have no media type of their own: opaque bytes.
	contentType := "application/gzip"
	if sealed.IsSealedName(*a.FileName) {
		contentType = "application/octet-stream"
	}
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", `attachment; filename="`+*a.FileName+`"`)
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.FormatInt(obj.Size, 10))
	c.Status(http.StatusOK)
	if n, err := io.Copy(c.Writer, r); err != nil {
		s.logger.WarnContext(ctx, "download cut off", "audit_id", a.ID, "bytes", n, "error", err)
	}
}

// formBool reads an HTML checkbox: present and not "false"/"off"/"0" is on.
func formBool(v string) bool {
	switch v {
	case "", "0", "false", "off":
		return false
	}
	return true
}
