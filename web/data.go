package web

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/browse"
	"github.com/wippidu/wippidu/jobs"
)

// historyLimit is how many audit rows the Import/Export page lists.
const historyLimit = 50

// anonymizerOption is one checkbox of the import form.
type anonymizerOption struct {
	Key, Field, Label string
}

// dataPage is Datenmanagement → Import/Export. The import section exists only
// where imports are allowed; elsewhere nothing on the page mentions it.
func (s *Server) dataPage(c *gin.Context) {
	s.renderData(c, http.StatusOK, nil)
}

// renderData shows the Import/Export page, with a refusal when err is set.
func (s *Server) renderData(c *gin.Context, status int, err error) {
	ctx := c.Request.Context()
	audits, lerr := audit.List(ctx, s.pool, historyLimit)
	if lerr != nil {
		s.fail(c, lerr)
		return
	}
	if wantsJSON(c) {
		if err != nil {
			s.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"audits": audits})
		return
	}
	data := map[string]any{"Audits": audits, "ImportEnabled": s.app.AllowProdImport,
		"DataRights": currentSession(c).MayDoDataWork(), "StagingAdmins": s.app.StagingAdmins, "HeldUploads": s.heldUploads(ctx, audits)}
	if err != nil {
		s.logIfInternal(c, err)
		data["Error"] = errorMessage(err)
	}
	var exports []exportItem
	for _, a := range audits {
		if a.Kind == wippidu.KindExport && a.Status == audit.StatusSucceeded && a.ObjectKey != nil {
			var res wippidu.ExportResult
			_ = json.Unmarshal(a.Result, &res) // an unreadable result only loses the note
			exports = append(exports, exportItem{Record: a, EncryptedTo: res.EncryptedTo})
		}
	}
	data["Exports"] = exports
	data["ExportKeys"] = s.exportKeys
	if s.app.AllowProdImport {
		var opts []anonymizerOption
		for _, k := range anonymizer.Keys {
			opts = append(opts, anonymizerOption{Key: k, Field: "anonymize_" + k, Label: anonymizer.Descriptions[k]})
		}
		data["Anonymizers"] = opts
		data["ExpectedHost"] = requestHost(c.Request)
		data["RiskAck"] = anonymizer.RiskAck
		if home := s.homeURL(c.Request); home != "" {
			data["HomeURL"] = home
		}
		if currentSession(c).MayDoDataWork() {
			s.addSources(c, data)
		}
	}
	// job is the number people see: the audit id.
	if id, perr := strconv.ParseInt(c.Query("job"), 10, 64); perr == nil && id > 0 {
		s.addJob(c, data, id)
	}
	s.render(c, status, "data.html", s.page(c, "Import/Export", data))
}

// exportItem is a finished export in the page's list.
type exportItem struct {
	*audit.Record
	EncryptedTo int // age keys the file is encrypted to; 0: not encrypted
}

// addJob puts one job's progress, and an import's result, on the page.
func (s *Server) addJob(c *gin.Context, data map[string]any, auditID int64) {
	ctx := c.Request.Context()
	st, err := jobs.StatusOfAudit(ctx, s.river, s.pool, auditID)
	if err != nil {
		return
	}
	data["Job"] = st
	data["JobFailed"] = endedWithout(st)
	if st.CreatedAt != nil {
		data["JobCreated"] = st.CreatedAt.UnixMilli()
	}
	if st.FinishedAt != nil {
		data["JobFinished"] = st.FinishedAt.UnixMilli()
	}
	if st.Kind == wippidu.KindImport && st.Succeeded {
		var r wippidu.ImportResult
		if json.Unmarshal(st.Result, &r) == nil {
			data["ImportResult"] = &r
		}
		if r.Preview && len(r.Sample) > 0 {
			var sample []browse.TablePage
			if json.Unmarshal(r.Sample, &sample) == nil {
				data["Sample"] = sample
			}
		}
		// A finished preview offers the import of its file; the form is gone
		// once the preview's row says anything else.
		data["PreviewImportable"] = r.Preview && st.AuditStatus == audit.StatusPreviewed && s.previewFileKept(c, auditID)
	}
}

// endedWithout is what the page says before the reason of a job that ended
// without its result: failed, cancelled, refused before anything was stored, or
// a scheduled run that started nothing.
func endedWithout(st *jobs.Status) string {
	what := "The export"
	switch {
	case st.Preview:
		what = "The preview"
	case st.Kind == wippidu.KindImport:
		what = "The import"
	}
	switch st.AuditStatus {
	case audit.StatusRefused:
		return what + " was refused; nothing was stored or run. "
	case audit.StatusSkipped:
		return "This scheduled run started nothing. "
	case audit.StatusCancelled:
		what += " was cancelled"
	default:
		what += " failed"
	}
	if st.Kind == wippidu.KindImport {
		return what + "; staging is unchanged. "
	}
	return what + ". "
}

// homeURL is this page at the instance's own name (APP_HOSTNAME) when the request
// reached it under another one, such as its IP address: the import must be
// confirmed with the name the request came in by, so the page offers the way to
// the name the instructions use. Empty when the names agree.
func (s *Server) homeURL(r *http.Request) string {
	want := s.app.Hostname
	if want == "" || strings.EqualFold(want, requestHost(r)) {
		return ""
	}
	u := url.URL{Scheme: "http", Host: want, Path: "/admin/data"}
	if r.TLS != nil {
		u.Scheme = "https"
	}
	if _, port, err := net.SplitHostPort(r.Host); err == nil {
		u.Host = net.JoinHostPort(want, port)
	}
	return u.String()
}

// jobStatus is the progress of one export or import, or how it ended, by the
// number the page shows (the audit id): every history row has one, refused and
// skipped ones too. The JSON carries River's job id beside it, for the River UI
// and `worker jobs retry|cancel`.
func (s *Server) jobStatus(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		s.fail(c, audit.ErrNotFound)
		return
	}
	st, err := jobs.StatusOfAudit(c.Request.Context(), s.river, s.pool, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !wantsJSON(c) {
		c.Redirect(http.StatusSeeOther, "/admin/data?job="+strconv.FormatInt(st.AuditID, 10))
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, st)
}

// requestHost is the request's Host without its port: what an admin must type to
// confirm an import. Forwarded headers are never consulted.
func requestHost(r *http.Request) string {
	h := r.Host
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	return h
}
