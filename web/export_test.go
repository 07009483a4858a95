package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wippidu/wippidu/dump"
)

// waitJob polls the job status route until the job is done.
func waitJob(t *testing.T, b *browser, jobID string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		rec := b.get("/admin/data/jobs/"+jobID, true)
		if rec.Code != http.StatusOK {
			t.Fatalf("status: got %d %s", rec.Code, rec.Body)
		}
		var st map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
			t.Fatal(err)
		}
		if st["done"] == true {
			return st
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("job %s not done in time", jobID)
	return nil
}

func TestExportJobStatusAndDownload(t *testing.T) {
	t.Parallel()
	prod := newEnv(t, envOpts{work: true, fixture: true})
	b := prod.browser()
	b.login(adminEmail)

	rec := b.postForm("/admin/data/export", url.Values{"csrf_token": {b.csrf}, "include_attachments": {"true"}}, false)
	loc := rec.Header().Get("Location")
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/data?job=") {
		t.Fatalf("export post: got %d %q", rec.Code, loc)
	}
	// The page's address and the status route carry the number people see (the
	// audit id).
	jobID := strings.TrimPrefix(loc, "/admin/data?job=")

	// The JSON shape the page's script and API clients rely on.
	first := b.get("/admin/data/jobs/"+jobID, true)
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(first.Body.Bytes(), &raw); err != nil {
		t.Fatalf("status body %s: %v", first.Body, err)
	}
	for _, k := range []string{"state", "phase", "table", "rows_done", "bytes_done", "bytes_total"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("status JSON lacks %q: %s", k, first.Body)
		}
	}
	st := waitJob(t, b, jobID)
	if st["succeeded"] != true || st["result"] == nil || st["state"] != "completed" {
		t.Fatalf("export status: %v", st)
	}
	if _, ok := st["error"]; ok {
		t.Errorf("a succeeded job carries an error: %v", st["error"])
	}
	auditID := int64(st["audit_id"].(float64))
	if jobID != jsonNumber(auditID) {
		t.Errorf("the page's address names job %s, the status says audit %d", jobID, auditID)
	}

	page := b.get(loc, false)
	if !strings.Contains(page.Body.String(), "/admin/data/exports/") {
		t.Errorf("page lists no finished export")
	}
	dl := b.get("/admin/data/exports/"+jsonNumber(auditID)+"/download", false)
	if dl.Code != http.StatusOK {
		t.Fatalf("download: got %d %s", dl.Code, dl.Body)
	}
	cd := dl.Header().Get("Content-Disposition")
	if !regexp.MustCompile(`^attachment; filename="wippidu-export-\d{8}-\d{6}\.json\.gz"$`).MatchString(cd) {
		t.Errorf("Content-Disposition: got %q", cd)
	}
	r, err := dump.NewReader(dl.Body, dump.ReaderOptions{})
	if err != nil {
		t.Fatalf("downloaded file is no dump: %v", err)
	}
	if h := r.Header(); h.SourceHost != stagingHost || !h.IncludeAttachments {
		t.Errorf("header: %+v", h)
	}

	if rec := b.get("/admin/data/exports/999999/download", true); rec.Code != http.StatusNotFound {
		t.Errorf("unknown export: got %d, want 404", rec.Code)
	}
	if rec := b.get("/admin/data/jobs/999999", true); rec.Code != http.StatusNotFound || jsonError(t, rec) != "No such job." {
		t.Errorf("unknown job: got %d %s", rec.Code, rec.Body)
	}
}

func jsonNumber(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestHealthReadyMetricsAndRiverUI(t *testing.T) {
	e := newEnv(t, envOpts{})
	b := e.browser()
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready"} {
		if rec := b.get(path, false); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), want) {
			t.Errorf("%s: got %d %s", path, rec.Code, rec.Body)
		}
	}
	b.login(adminEmail)
	metrics := b.get("/metrics", false).Body.String()
	for _, want := range []string{`wippidu_http_requests_total{method="GET",route="/healthz",status="200"} 1`,
		"wippidu_http_request_duration_seconds_bucket", "wippidu_jobs_rescued_total"} {
		if !strings.Contains(metrics, want) && !strings.Contains(metrics, "# HELP "+want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	ui := b.get("/admin/river/", false)
	if ui.Code != http.StatusOK || !strings.Contains(strings.ToLower(ui.Body.String()), "<html") {
		t.Errorf("river ui: got %d", ui.Code)
	}
	api := b.get("/admin/river/api/jobs?state=available", true)
	if api.Code != http.StatusOK {
		t.Errorf("river ui API: got %d %s", api.Code, api.Body)
	}
	// Its state-changing API needs this origin (River's frontend cannot send our token).
	req := httpReq(http.MethodPost, "/admin/river/api/jobs/cancel")
	req.Header.Set("Origin", "https://evil.example")
	if rec := b.do(req, true); rec.Code != http.StatusForbidden {
		t.Errorf("cross-origin river post: got %d, want 403", rec.Code)
	}
}
