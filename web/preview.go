package web

import (
	"errors"
	"os"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/jobs"
	"github.com/wippidu/wippidu/storage"
)

// importPreviewed starts the real import of a dump that was previewed, with the
// anonymizers the preview ran with: nothing is uploaded again. The gates are the
// upload's: the hostname is typed again, and the risk acknowledged again when an
// anonymizer is off.
func (s *Server) importPreviewed(c *gin.Context) {
	ctx := c.Request.Context()
	if !s.app.AllowProdImport {
		s.failData(c, wippidu.ErrImportDisabled)
		return
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		s.failData(c, errNoPreview)
		return
	}
	rec, err := audit.Get(ctx, s.pool, id)
	if errors.Is(err, audit.ErrNotFound) || (err == nil && (rec.Kind != wippidu.KindImport ||
		rec.Status != audit.StatusPreviewed || rec.ObjectKey == nil || rec.FileName == nil)) {
		s.failData(c, errNoPreview)
		return
	}
	if err != nil {
		s.failData(c, err)
		return
	}
	opts, err := jobs.ImportOptionsOf(rec.Options)
	if err != nil {
		s.failData(c, err)
		return
	}
	gate := jobs.ImportGate{
		ConfirmHost:    strings.TrimSpace(c.PostForm("confirm_host")),
		ActualHost:     c.Request.Host, // never X-Forwarded-Host
		RiskAck:        strings.TrimSpace(c.PostForm("risk_ack")),
		AnonymizersOff: opts.AnonymizersOff,
	}
	c.Set(refusalKey, &refusalFacts{fileName: *rec.FileName, options: map[string]any{
		"confirm_host": gate.ConfirmHost, "anonymizers_off": gate.AnonymizersOff, "risk_acknowledged": gate.RiskAck != "",
		"previewed_as": id}})
	if !s.admitImport(c, gate) {
		return
	}
	store := s.previewStore(opts)
	if store == nil {
		s.failData(c, errPreviewGone)
		return
	}
	obj, err := store.Stat(ctx, *rec.ObjectKey)
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, storage.ErrInvalidKey) {
		s.failData(c, errPreviewGone)
		return
	}
	if err != nil {
		s.failData(c, err)
		return
	}
	sub, err := s.sub.Import(ctx, jobs.ImportRequest{
		ImportGate: gate, RequestedBy: currentSession(c).Email,
		FileName: *rec.FileName, ObjectKey: *rec.ObjectKey, Size: obj.Size, Source: opts.Source(),
	})
	if err != nil {
		s.failData(c, err)
		return
	}
	s.logger.InfoContext(ctx, "previewed import enqueued", "job_id", sub.JobID, "audit_id", sub.AuditID,
		"previewed_as", id, "requested_by", currentSession(c).Email, "file_name", *rec.FileName)
	s.submitted(c, sub)
}

// previewStore is the storage a preview's file is in; nil when this instance
// cannot read it.
func (s *Server) previewStore(opts jobs.ImportOptions) storage.Storage {
	if opts.Source() == jobs.SourceProduction {
		return s.cfg.Source
	}
	return s.store
}

// previewFileKept reports whether a preview's file is still stored, so that the
// page offers its import only then: the import of it deletes an upload.
func (s *Server) previewFileKept(c *gin.Context, auditID int64) bool {
	ctx := c.Request.Context()
	rec, err := audit.Get(ctx, s.pool, auditID)
	if err != nil || rec.ObjectKey == nil {
		return false
	}
	opts, err := jobs.ImportOptionsOf(rec.Options)
	if err != nil {
		return false
	}
	store := s.previewStore(opts)
	if store == nil {
		return false
	}
	_, err = store.Stat(ctx, *rec.ObjectKey)
	return err == nil
}
