package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/wippidu/wippidu/anonymizer"
)

// TestOptOutResultPanelListsWhatStaysPersonal imports with the names anonymizer
// switched off (risk acknowledged): the result panel names the switch in bold,
// lists the columns loaded unscrubbed, and shows the leak check.
func TestOptOutResultPanelListsWhatStaysPersonal(t *testing.T) {
	e := newEnv(t, envOpts{allowImport: true, work: true, fixture: true})
	b := e.browser()
	b.login(adminEmail)
	rec := b.postForm("/admin/data/export", url.Values{"csrf_token": {b.csrf}, "include_attachments": {"true"}}, true)
	var exp struct {
		JobID   int64 `json:"job_id"`
		AuditID int64 `json:"audit_id"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &exp); err != nil || exp.JobID == 0 {
		t.Fatalf("export: %d %s", rec.Code, rec.Body)
	}
	waitJob(t, b, strconv.FormatInt(exp.JobID, 10))
	file := b.get("/admin/data/exports/"+strconv.FormatInt(exp.AuditID, 10)+"/download", false)
	if file.Code != http.StatusOK {
		t.Fatalf("download: %d", file.Code)
	}

	form := b.defaultImport(file.Body.Bytes()).set("anonymize_names", "\x00").set("risk_ack", anonymizer.RiskAck)
	rec = b.postImport(form, true, map[string]string{"X-CSRF-Token": b.csrf})
	var imp struct {
		JobID   int64 `json:"job_id"`
		AuditID int64 `json:"audit_id"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &imp); err != nil || imp.JobID == 0 {
		t.Fatalf("import: %d %s", rec.Code, rec.Body)
	}
	id := strconv.FormatInt(imp.JobID, 10)
	if st := waitJob(t, b, id); st["succeeded"] != true {
		t.Fatalf("import: %v", st)
	}
	page := b.get("/admin/data?job="+strconv.FormatInt(imp.AuditID, 10), false).Body.String()
	for _, want := range []string{"<strong>names</strong>", "<strong>users.first_name</strong> (names switched off)",
		"<strong>students.last_name</strong> (names switched off)", `id="leak-check"`} {
		if !strings.Contains(page, want) {
			t.Errorf("result panel lacks %q", want)
		}
	}
}
