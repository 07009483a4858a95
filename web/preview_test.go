package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/storage/file"
)

// preview posts f to the preview route and waits for the job; it returns the
// preview's audit id and finished status.
func preview(t *testing.T, b *browser, f importForm) (int64, map[string]any) {
	t.Helper()
	rec := b.postImportTo("/admin/data/preview", f, true, map[string]string{"X-CSRF-Token": b.csrf})
	var sub struct {
		JobID   int64 `json:"job_id"`
		AuditID int64 `json:"audit_id"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &sub); err != nil || sub.JobID == 0 {
		t.Fatalf("preview: %d %s", rec.Code, rec.Body)
	}
	return sub.AuditID, waitJob(t, b, strconv.FormatInt(sub.AuditID, 10))
}

// TestPreviewChangesNothingAndShowsAnonymizedRows previews an import of a
// production export: every staging table is byte-for-byte what it was, the audit
// row says previewed, and the page shows the result panel and the first rows of
// each table as the import would leave them, anonymized. The preview's file can
// then be imported without another upload.
func TestPreviewChangesNothingAndShowsAnonymizedRows(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{allowImport: true, work: true})
	b := e.browser()
	b.login(adminEmail)
	teacher := e.browser()
	teacher.login(teacherEmail) // a real import would end this session; a preview does not
	dump := productionDump(t)
	before := pgtest.Checksums(t, e.pool)

	id, st := preview(t, b, b.defaultImport(dump))
	if st["succeeded"] != true || st["preview"] != true {
		t.Fatalf("preview job: %v", st)
	}
	pgtest.ExpectUnchanged(t, e.pool, before, "a preview", "import_export_audits", "web_sessions")
	if rec := teacher.get("/", false); rec.Code != http.StatusOK {
		t.Errorf("a session opened before the preview: got %d, want the home page", rec.Code)
	}
	if got := pgtest.Strings(t, e.pool, `SELECT status FROM import_export_audits WHERE id = $1`, id); got[0] != "previewed" {
		t.Errorf("audit status: got %v, want previewed", got)
	}
	var res wippidu.ImportResult
	raw, _ := json.Marshal(st["result"])
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	if !res.Preview || res.Rows == 0 || res.SourceHost != "app.wippidu.net" {
		t.Errorf("preview result: preview %v, rows %d, source %q", res.Preview, res.Rows, res.SourceHost)
	}

	page := b.get("/admin/data?job="+strconv.FormatInt(id, 10), false).Body.String()
	for _, want := range []string{`id="preview-notice"`, "nothing was changed", `id="preview-sample"`,
		`data-table="users"`, `data-table="messages"`, `id="preview-import-form"`, "Rows it would import"} {
		if !strings.Contains(page, want) {
			t.Errorf("preview page lacks %q", want)
		}
	}
	sample := between(page, `id="preview-sample"`, `id="preview-import-form"`)
	users := between(sample, `<div class="preview-table" data-table="users">`, `</table>`)
	if strings.Count(users, "<tr>") < 5 {
		t.Errorf("the users sample has fewer than 4 rows:\n%s", users)
	}
	for _, v := range append(productionEmails, "Päßler", "Tischler", "Hauptstraße 1", "+49 30 1234567") {
		if strings.Contains(strings.ToLower(page), strings.ToLower(v)) {
			t.Errorf("the preview page shows production's %q", v)
		}
	}
	if strings.Contains(page, "hidden-value") {
		t.Error("a preview with every anonymizer on hides values")
	}

	// The previewed file is imported as it is: the hostname is confirmed again.
	path := "/admin/data/previews/" + strconv.FormatInt(id, 10) + "/import"
	wrong := b.postForm(path, url.Values{"csrf_token": {b.csrf}, "confirm_host": {"app.wippidu.net"}}, true)
	if wrong.Code != http.StatusForbidden || jsonError(t, wrong) != wippidu.ErrHostMismatch.Message {
		t.Fatalf("import of the preview with a wrong host: %d %s", wrong.Code, wrong.Body)
	}
	rec := b.postForm(path, url.Values{"csrf_token": {b.csrf}, "confirm_host": {stagingHost}}, true)
	var sub struct {
		JobID   int64 `json:"job_id"`
		AuditID int64 `json:"audit_id"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &sub); err != nil || sub.JobID == 0 {
		t.Fatalf("import of the preview: %d %s", rec.Code, rec.Body)
	}
	if st := waitJob(t, b, strconv.FormatInt(sub.AuditID, 10)); st["succeeded"] != true || st["preview"] == true {
		t.Fatalf("import of the preview: %v", st)
	}
	if n := e.count(`SELECT count(*) FROM students`); n != 3 {
		t.Errorf("students after the import: got %d, want the dump's 3", n)
	}
	// Imported, the upload is gone: the preview's page no longer offers it, and a
	// second post is refused.
	if page := b.get("/admin/data?job="+strconv.FormatInt(id, 10), false).Body.String(); strings.Contains(page, `id="preview-import-form"`) {
		t.Error("the preview's page offers the import of a file that is gone")
	}
	again := b.postForm(path, url.Values{"csrf_token": {b.csrf}, "confirm_host": {stagingHost}}, true)
	if again.Code != http.StatusNotFound {
		t.Errorf("second import of one preview: got %d %s, want 404", again.Code, again.Body)
	}
}

// TestPreviewHidesWhatAnOptOutKeeps: with the names anonymizer off (risk
// acknowledged), the preview still stores nothing of production: the values of
// the columns the import would load as they are show as hidden.
func TestPreviewHidesWhatAnOptOutKeeps(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{allowImport: true, work: true})
	b := e.browser()
	b.login(adminEmail)
	f := b.defaultImport(productionDump(t)).set("anonymize_names", "\x00").set("risk_ack", anonymizer.RiskAck)
	id, st := preview(t, b, f)
	if st["succeeded"] != true {
		t.Fatalf("preview job: %v", st)
	}
	page := b.get("/admin/data?job="+strconv.FormatInt(id, 10), false).Body.String()
	if !strings.Contains(page, "hidden-value") {
		t.Error("no hidden values in the preview of an opt-out")
	}
	stored := strings.Join(pgtest.Strings(t, e.pool, `SELECT result::text FROM import_export_audits WHERE id = $1`, id), "")
	for _, name := range []string{"Päßler", "Tischler", "Gelöscht", `"Ada"`, `"Paula"`} {
		if strings.Contains(page, name) || strings.Contains(stored, name) {
			t.Errorf("the preview keeps production's name %q", name)
		}
	}
	// The risk is acknowledged again to import it.
	rec := b.postForm("/admin/data/previews/"+strconv.FormatInt(id, 10)+"/import",
		url.Values{"csrf_token": {b.csrf}, "confirm_host": {stagingHost}}, true)
	if rec.Code != http.StatusForbidden || !strings.Contains(jsonError(t, rec), anonymizer.RiskAck) {
		t.Errorf("import of an opt-out preview without the risk acknowledgement: %d %s", rec.Code, rec.Body)
	}
}

// TestPreviewDuringImportIsRefusedBusy: a preview waits for nothing and blocks
// nothing: started while an import runs, it is refused with the busy message
// and nothing is stored.
func TestPreviewDuringImportIsRefusedBusy(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{allowImport: true, work: true})
	b := e.browser()
	b.login(adminEmail)
	dump := productionDump(t)
	e.holdLikeAnImport(t, "messages") // the import below runs until the test ends
	rec := b.postImport(b.defaultImport(dump), true, map[string]string{"X-CSRF-Token": b.csrf})
	if rec.Code != http.StatusAccepted {
		t.Fatalf("import: %d %s", rec.Code, rec.Body)
	}
	files := len(e.storedFiles())
	pre := b.postImportTo("/admin/data/preview", b.defaultImport(dump), true, map[string]string{"X-CSRF-Token": b.csrf})
	if pre.Code != http.StatusConflict || jsonError(t, pre) != wippidu.ErrImportBusy.Message {
		t.Errorf("preview during an import: got %d %s, want 409 %q", pre.Code, pre.Body, wippidu.ErrImportBusy.Message)
	}
	if got := len(e.storedFiles()); got != files {
		t.Errorf("stored files: got %d, want %d (the refused preview stored nothing)", got, files)
	}
}

// TestPreviewFromProductionStorage: the production-storage form previews too
// (its Preview button posts preview=1); the preview's "Import this file now"
// then imports the same export from there, and production's file is untouched.
func TestPreviewFromProductionStorage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src, err := file.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	const key = "exports/7/wippidu-export-20261130-101112.json.gz"
	if _, err := src.Put(context.Background(), key, bytes.NewReader(productionDump(t))); err != nil {
		t.Fatal(err)
	}
	prodFiles := folderContents(t, dir)
	e := newEnv(t, envOpts{allowImport: true, work: true, source: src})
	b := e.browser()
	b.login(adminEmail)
	before := pgtest.Checksums(t, e.pool)

	rec := b.postForm("/admin/data/import/source", with(b.sourceForm(key), func(v url.Values) { v.Set("preview", "1") }), true)
	var sub struct {
		JobID   int64 `json:"job_id"`
		AuditID int64 `json:"audit_id"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &sub); err != nil || sub.JobID == 0 {
		t.Fatalf("preview from production storage: %d %s", rec.Code, rec.Body)
	}
	if st := waitJob(t, b, strconv.FormatInt(sub.AuditID, 10)); st["succeeded"] != true || st["preview"] != true {
		t.Fatalf("preview job: %v", st)
	}
	pgtest.ExpectUnchanged(t, e.pool, before, "a preview from production storage", "import_export_audits", "web_sessions")

	rec = b.postForm("/admin/data/previews/"+strconv.FormatInt(sub.AuditID, 10)+"/import",
		url.Values{"csrf_token": {b.csrf}, "confirm_host": {stagingHost}}, true)
	if err := json.Unmarshal(rec.Body.Bytes(), &sub); err != nil || sub.JobID == 0 {
		t.Fatalf("import of the preview: %d %s", rec.Code, rec.Body)
	}
	if st := waitJob(t, b, strconv.FormatInt(sub.AuditID, 10)); st["succeeded"] != true || st["source"] != "production storage" {
		t.Fatalf("import of the preview: %v", st)
	}
	if n := e.count(`SELECT count(*) FROM students`); n != 3 {
		t.Errorf("students after the import: got %d, want the dump's 3", n)
	}
	if got := folderContents(t, dir); len(got) != len(prodFiles) || got[filepath.Join(dir, key)] != prodFiles[filepath.Join(dir, key)] {
		t.Error("production's storage changed")
	}
	if files := e.storedFiles(); len(files) != 0 {
		t.Errorf("staging's storage holds %v, want nothing", files)
	}
}
