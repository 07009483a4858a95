package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/jobs"
)

// The import form's text fields come before its file: at most maxFormFields of
// them, each at most maxFieldBytes (a hostname, the risk text, a token, the
// checkboxes), so that nothing much is read before the gates are checked.
const (
	maxFormFields = 16
	maxFieldBytes = 1 << 10
)

// startImport takes the import form as a stream (receiveImport).
func (s *Server) startImport(c *gin.Context) { s.receiveImport(c, false) }

// startPreview takes the same form for a dry run: the form's "Preview import"
// button posts it here.
func (s *Server) startPreview(c *gin.Context) { s.receiveImport(c, true) }

// receiveImport takes the import form as a stream. The form puts every text field
// before the file, so all gates are checked when the file part begins, before a
// single byte of it is stored; the file then goes straight into storage.
func (s *Server) receiveImport(c *gin.Context, preview bool) {
	if !s.app.AllowProdImport {
		s.failData(c, wippidu.ErrImportDisabled)
		return
	}
	mr, err := c.Request.MultipartReader()
	if err != nil {
		s.failCSRFOr(c, nil, errNoFile)
		return
	}
	fields := map[string]string{}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			s.failCSRFOr(c, fields, errNoFile)
			return
		}
		if err != nil {
			s.failData(c, errUploadCut)
			return
		}
		if part.FormName() == "dump" {
			s.importFile(c, fields, part, preview)
			return
		}
		if len(fields) >= maxFormFields {
			s.failCSRFOr(c, fields, errTooManyParts)
			return
		}
		v, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
		if err != nil {
			s.failData(c, errUploadCut)
			return
		}
		if len(v) > maxFieldBytes {
			// Not skipped: the rest of a field is read to skip it.
			s.failCSRFOr(c, fields, errTooManyParts)
			return
		}
		fields[part.FormName()] = string(v)
	}
}

// failCSRFOr refuses a request without a valid CSRF token as such, else with err.
func (s *Server) failCSRFOr(c *gin.Context, fields map[string]string, err error) {
	if !sessionCSRFOK(c, fields[csrfField]) {
		err = errCSRF
	}
	s.failData(c, err)
}

// importGate is what the form asks of the import gates.
func importGate(c *gin.Context, fields map[string]string) jobs.ImportGate {
	g := jobs.ImportGate{
		ConfirmHost: strings.TrimSpace(fields["confirm_host"]),
		ActualHost:  c.Request.Host, // never X-Forwarded-Host
		RiskAck:     strings.TrimSpace(fields["risk_ack"]),
	}
	for _, k := range anonymizer.Keys {
		if !formBool(fields["anonymize_"+k]) {
			g.AnonymizersOff = append(g.AnonymizersOff, k)
		}
	}
	return g
}

func (s *Server) importFile(c *gin.Context, fields map[string]string, part *multipart.Part, preview bool) {
	ctx := c.Request.Context()
	if !sessionCSRFOK(c, fields[csrfField]) {
		s.failData(c, errCSRF)
		return
	}
	gate := importGate(c, fields)
	c.Set(refusalKey, &refusalFacts{fileName: uploadFileName(part.FileName()), options: map[string]any{
		"confirm_host": gate.ConfirmHost, "anonymizers_off": gate.AnonymizersOff, "risk_acknowledged": gate.RiskAck != "",
		"preview": preview}})
	if !s.admitImport(c, gate) {
		return
	}
	fileName := uploadFileName(part.FileName())
	if part.FileName() == "" {
		s.failData(c, errNoFile)
		return
	}
	limit := s.app.MaxUploadBytes
	prefix := make([]byte, min(int64(s.cfg.HeaderBytes), limit+1))
	n, err := io.ReadFull(part, prefix)
	complete := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
	if err != nil && !complete {
		s.failData(c, s.uploadError(c, fmt.Errorf("read upload: %w", err)))
		return
	}
	prefix = prefix[:n]
	if n == 0 {
		s.failData(c, errNoFile)
		return
	}
	if int64(n) > limit {
		s.failData(c, errTooLarge(limit))
		return
	}
	if err := s.cfg.CheckUpload(prefix, complete); err != nil {
		s.failData(c, err)
		return
	}
	key := jobs.NewImportKey()
	// Past the limit, storing stops and keeps nothing.
	body := &wippidu.CountingReader{R: io.MultiReader(bytes.NewReader(prefix), part), Limit: limit, OverLimit: errTooLarge(limit)}
	size, err := s.store.Put(ctx, key, body)
	if err != nil {
		s.discard(c, key)
		s.failData(c, s.uploadError(c, err))
		return
	}
	sub, err := s.sub.Import(ctx, jobs.ImportRequest{
		ImportGate: gate, RequestedBy: currentSession(c).Email,
		FileName: fileName, ObjectKey: key, Size: size, Preview: preview,
	})
	if err != nil {
		s.discard(c, key)
		s.failData(c, err)
		return
	}
	s.logger.InfoContext(ctx, "import enqueued", "job_id", sub.JobID, "audit_id", sub.AuditID,
		"requested_by", currentSession(c).Email, "file_name", fileName, "bytes", size,
		"anonymizers_off", gate.AnonymizersOff, "preview", preview)
	s.submitted(c, sub)
}

// uploadError is what a failed upload answers: its own message when it has one,
// errUploadCut when the client stopped sending (it went away, or sent too slowly,
// pacedBody), and otherwise an internal failure to store it.
func (s *Server) uploadError(c *gin.Context, err error) error {
	var we *wippidu.Error
	if errors.As(err, &we) {
		return err
	}
	if p, ok := c.Request.Body.(*pacedBody); ok && p.err != nil {
		s.logger.WarnContext(c.Request.Context(), "upload cut off by the client", "error", p.err)
		return errUploadCut
	}
	return fmt.Errorf("store upload: %w", err)
}

// admitImport checks what every way of starting an import checks, in the order
// an admin meets it: the gates, then that no other import is queued or running.
// A refusal is answered (and audited) here; false means stop.
func (s *Server) admitImport(c *gin.Context, gate jobs.ImportGate) bool {
	if err := jobs.CheckImportGates(s.app, gate); err != nil {
		s.failData(c, err)
		return false
	}
	if busy, err := s.sub.ImportActive(c.Request.Context()); err != nil || busy {
		s.failData(c, errOr(err, wippidu.ErrImportBusy))
		return false
	}
	return true
}

// discard deletes an upload that will not be imported. Storage promises no
// partial object after a failed Put; this also covers a refused Submit.
func (s *Server) discard(c *gin.Context, key string) {
	ctx := context.WithoutCancel(c.Request.Context())
	if err := s.store.Delete(ctx, key); err != nil {
		s.logger.WarnContext(c.Request.Context(), "delete refused upload", "key", key, "error", err)
	}
}

func errOr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}
