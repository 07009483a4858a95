package web_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/internal/testdb"
)

func TestProductionRefusesImportOnEveryPath(t *testing.T) {
	t.Parallel()
	prod := newEnv(t, envOpts{allowImport: false})
	b := prod.browser()
	b.login(adminEmail)

	page := b.get("/admin/data", false)
	if page.Code != http.StatusOK {
		t.Fatalf("page: got %d", page.Code)
	}
	for _, trace := range []string{"import-form", `name="dump"`, "confirm_host", "Start import", "risk_ack", "I_UNDERSTAND"} {
		if strings.Contains(page.Body.String(), trace) {
			t.Errorf("production page contains %q", trace)
		}
	}
	want := wippidu.ErrImportDisabled.Message
	if want != "Import is not enabled on this instance." {
		t.Fatalf("message differs from the contract: %q", want)
	}
	form := b.defaultImport(smallDump(t))
	html := b.postImport(form, false, nil)
	if html.Code != http.StatusForbidden || !strings.Contains(html.Body.String(), want) {
		t.Errorf("form post: got %d %s, want 403 with %q", html.Code, html.Body, want)
	}
	api := b.postImport(form, true, map[string]string{"X-CSRF-Token": b.csrf})
	if api.Code != http.StatusForbidden || jsonError(t, api) != want {
		t.Errorf("API post: got %d %s, want 403 {error: %q}", api.Code, api.Body, want)
	}
	// Even without a token or a file: the import does not exist here.
	bare := b.postForm("/admin/data/import", nil, true)
	if bare.Code != http.StatusForbidden || jsonError(t, bare) != want {
		t.Errorf("bare post: got %d %s", bare.Code, bare.Body)
	}
	prod.assertNothingQueued()
}

func TestImportGatesRefuseWithExactMessages(t *testing.T) {
	t.Parallel()
	staging := newEnv(t, envOpts{allowImport: true})
	b := staging.browser()
	b.login(adminEmail)
	base := b.defaultImport(smallDump(t))
	tests := []struct {
		name   string
		form   importForm
		host   string
		header map[string]string
		status int
		want   string
	}{
		{"wrong hostname", base.set("confirm_host", "app.wippidu.net"), stagingHost, nil,
			http.StatusForbidden, "The hostname you entered does not match this instance."},
		{"empty hostname", base.set("confirm_host", ""), stagingHost, nil,
			http.StatusForbidden, "The hostname you entered does not match this instance."},
		{"X-Forwarded-Host ignored", base, "evil.example", map[string]string{"X-Forwarded-Host": stagingHost, "Forwarded": "host=" + stagingHost},
			http.StatusForbidden, "The hostname you entered does not match this instance."},
		{"opt out without risk text", base.set("anonymize_emails", "\x00"), stagingHost, nil,
			http.StatusForbidden, wippidu.ErrRiskNotAcked.Message},
		{"opt out with wrong risk text", base.set("anonymize_passwords", "\x00").set("risk_ack", "i understand the pii risk"), stagingHost, nil,
			http.StatusForbidden, wippidu.ErrRiskNotAcked.Message},
		{"missing csrf", base.set("csrf_token", "\x00"), stagingHost, nil,
			http.StatusForbidden, "The form has expired. Reload the page and try again."},
		{"wrong csrf", base.set("csrf_token", "forged"), stagingHost, nil,
			http.StatusForbidden, "The form has expired. Reload the page and try again."},
		{"not a dump", func() importForm { f := base; f.file = []byte("hello, not gzip"); return f }(), stagingHost, nil,
			http.StatusBadRequest, wippidu.ErrNotADump.Message},
		{"newer schema version", func() importForm {
			f := base
			f.file = testdb.Gzip(t, `{"schema_version": 7, "app": "wippidu", "source_host": "app.wippidu.net", "exported_at": "2026-11-25T10:11:12Z", "include_attachments": true, "tables": [`+strings.Repeat(" ", 1<<20))
			return f
		}(), stagingHost, nil, http.StatusBadRequest, "Dump schema version 7 is newer than this instance supports."},
		{"newer schema version, larger than the header buffer", func() importForm { f := base; f.file = bigDump(t, 2); return f }(),
			stagingHost, nil, http.StatusBadRequest, "Dump schema version 2 is newer than this instance supports."},
		{"no file", func() importForm { f := base; f.file = nil; return f }(), stagingHost, nil,
			http.StatusBadRequest, "Choose an export file (.json.gz) to import."},
	}
	for _, tt := range tests {
		for _, asJSON := range []bool{false, true} {
			name := tt.name + map[bool]string{false: " (form)", true: " (JSON)"}[asJSON]
			t.Run(name, func(t *testing.T) {
				b.host = tt.host
				defer func() { b.host = stagingHost }()
				rec := b.postImport(tt.form, asJSON, tt.header)
				if rec.Code != tt.status {
					t.Errorf("status: got %d, want %d (%s)", rec.Code, tt.status, rec.Body)
				}
				if asJSON {
					if got := jsonError(t, rec); got != tt.want {
						t.Errorf("error: got %q, want %q", got, tt.want)
					}
				} else if !strings.Contains(rec.Body.String(), tt.want) {
					t.Errorf("page does not show %q: %s", tt.want, rec.Body)
				}
				staging.assertNothingQueued()
			})
		}
	}
}

func TestUploadOverLimitRefusedAndNotKept(t *testing.T) {
	t.Parallel()
	staging := newEnv(t, envOpts{allowImport: true, maxUpload: 200 << 10})
	b := staging.browser()
	b.login(adminEmail)
	// A valid header followed by incompressible bytes well past the limit.
	noise := make([]byte, 600<<10)
	_, _ = rand.Read(noise)
	big := append(smallDump(t), noise...)
	rec := b.postImport(b.defaultImport(big), true, nil)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status: got %d, want 413 (%s)", rec.Code, rec.Body)
	}
	if got := jsonError(t, rec); !strings.Contains(got, "larger than this instance accepts (200.0 KiB)") {
		t.Errorf("message: got %q", got)
	}
	staging.assertNothingQueued()
}

func TestImportEnqueuesOneJobAndStoresTheFile(t *testing.T) {
	t.Parallel()
	staging := newEnv(t, envOpts{allowImport: true}) // nobody works the queue: the job stays queued
	b := staging.browser()
	b.login(adminEmail)
	dump := smallDump(t)
	// X-Forwarded-Host naming another host changes nothing either.
	rec := b.postImport(b.defaultImport(dump), false, map[string]string{"X-Forwarded-Host": "app.wippidu.net"})
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/admin/data?job=") {
		t.Fatalf("got %d Location %q, want 303 to the page (%s)", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	if n := staging.count(`SELECT count(*) FROM river_job WHERE kind = 'import'`); n != 1 {
		t.Errorf("import jobs: got %d, want 1", n)
	}
	if n := staging.count(`SELECT count(*) FROM import_export_audits WHERE kind = 'import' AND status = 'queued' AND requested_by = '` + adminEmail + `'`); n != 1 {
		t.Errorf("queued import audits: got %d, want 1", n)
	}
	files := staging.storedFiles()
	if len(files) != 1 {
		t.Fatalf("stored files: got %v, want one", files)
	}
	got, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, dump) {
		t.Errorf("stored file differs from the upload (%d vs %d bytes)", len(got), len(dump))
	}
	page := b.get(rec.Header().Get("Location"), false)
	if page.Code != http.StatusOK || !strings.Contains(page.Body.String(), `id="job"`) {
		t.Errorf("progress page: got %d", page.Code)
	}

	t.Run("second import refused while one is queued", func(t *testing.T) {
		rec := b.postImport(b.defaultImport(dump), true, nil)
		if rec.Code != http.StatusConflict || jsonError(t, rec) != wippidu.ErrImportBusy.Message {
			t.Errorf("got %d %s, want 409 busy", rec.Code, rec.Body)
		}
		if n := staging.count(`SELECT count(*) FROM river_job WHERE kind = 'import'`); n != 1 {
			t.Errorf("import jobs: got %d, want 1", n)
		}
		if f := staging.storedFiles(); len(f) != 1 {
			t.Errorf("stored files: got %d, want 1", len(f))
		}
	})
}

func TestImportJSONAnswersJobAndAudit(t *testing.T) {
	t.Parallel()
	staging := newEnv(t, envOpts{allowImport: true})
	b := staging.browser()
	b.login(adminEmail)
	// API clients may send the token as a header instead of a form field. The dump
	// is larger than the header buffer: its header is judged from the prefix alone.
	dump := bigDump(t, 1)
	form := b.defaultImport(dump).set("csrf_token", "\x00")
	rec := b.postImport(form, true, map[string]string{"X-CSRF-Token": b.csrf})
	if rec.Code != http.StatusAccepted {
		t.Fatalf("got %d %s, want 202", rec.Code, rec.Body)
	}
	var sub struct {
		JobID   int64 `json:"job_id"`
		AuditID int64 `json:"audit_id"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &sub); err != nil || sub.JobID == 0 || sub.AuditID == 0 {
		t.Fatalf("body %s: %v", rec.Body, err)
	}
	files := staging.storedFiles()
	if len(files) != 1 {
		t.Fatalf("stored files: %v", files)
	}
	if got, _ := os.ReadFile(files[0]); !bytes.Equal(got, dump) {
		t.Errorf("stored %d bytes, uploaded %d", len(got), len(dump))
	}
}
