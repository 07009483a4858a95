package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/internal/s3test"
	"github.com/wippidu/wippidu/storage"
	"github.com/wippidu/wippidu/storage/file"
	"github.com/wippidu/wippidu/storage/s3"
)

// Keys in the production storage of the tests below.
const (
	goodExport    = "exports/3/wippidu-export-20261125-101112.json.gz"
	brokenExport  = "exports/2/wippidu-export-20261124-101112.json.gz"
	notAnExport   = "imports/wippidu-export-20261126-101112.json.gz" // a dump, but not where exports are
	missingExport = "exports/9/wippidu-export-20261123-101112.json.gz"
)

// sourceFolder is a production storage folder holding one good export, one
// that is not a dump, and a dump outside exports/.
func sourceFolder(t *testing.T) (storage.Storage, string) {
	t.Helper()
	dir := t.TempDir()
	st, err := file.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	for key, body := range map[string][]byte{goodExport: smallDump(t), brokenExport: []byte("not a dump"), notAnExport: smallDump(t)} {
		if _, err := st.Put(context.Background(), key, bytes.NewReader(body)); err != nil {
			t.Fatal(err)
		}
	}
	return st, dir
}

// folderContents maps every file below dir to its contents.
func folderContents(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		out[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sourceForm is the Import from production storage form with its defaults.
func (b *browser) sourceForm(key string) url.Values {
	v := url.Values{"csrf_token": {b.csrf}, "source_key": {key}, "risk_ack": {""}, "confirm_host": {stagingHost}}
	for _, k := range anonymizer.Keys {
		v.Set("anonymize_"+k, "on")
	}
	return v
}

func with(v url.Values, change func(url.Values)) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	change(out)
	return out
}

// TestSourceListsProductionExports: the Import section and GET
// /admin/data/sources list the exports in production's storage, with their
// headers, and nothing else there.
func TestSourceListsProductionExports(t *testing.T) {
	t.Parallel()
	src, _ := sourceFolder(t)
	staging := newEnv(t, envOpts{allowImport: true, source: src})
	b := staging.browser()
	b.login(adminEmail)

	page := b.get("/admin/data", false)
	body := page.Body.String()
	if page.Code != http.StatusOK {
		t.Fatalf("page: got %d", page.Code)
	}
	for _, want := range []string{`id="import-source-form"`, `action="/admin/data/import/source"`, `value="` + goodExport + `" id="source-0" aria-label="wippidu-export-20261125-101112.json.gz" checked`,
		"app.wippidu.net", "2026-11-25 10:11:12 UTC", wippidu.FormatBytes(int64(len(smallDump(t)))),
		`value="` + brokenExport + `" id="source-1" aria-label="wippidu-export-20261124-101112.json.gz" disabled`, wippidu.ErrNotADump.Message,
		`<code id="source-expected-host">` + stagingHost + `</code>`, `name="anonymize_emails" value="on" checked`, "Import from production storage</button>"} {
		if !strings.Contains(body, want) {
			t.Errorf("the Import section lacks %q", want)
		}
	}
	if strings.Contains(body, notAnExport) {
		t.Errorf("the Import section lists %s, which is no export", notAnExport)
	}

	rec := b.get("/admin/data/sources", true)
	var list struct {
		Exports []struct {
			Key, Name, SourceHost, HeaderError string
			Size                               int64
			IncludeAttachments                 bool `json:"include_attachments"`
		}
		ExpectedHost string `json:"expected_host"`
	}
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &list) != nil {
		t.Fatalf("sources: got %d %s", rec.Code, rec.Body)
	}
	if len(list.Exports) != 2 || list.Exports[0].Key != goodExport || list.Exports[1].Key != brokenExport || list.ExpectedHost != stagingHost {
		t.Fatalf("sources: got %s", rec.Body)
	}
	if !strings.Contains(rec.Body.String(), `"source_host":"app.wippidu.net"`) || !strings.Contains(rec.Body.String(), `"include_attachments":true`) ||
		!strings.Contains(rec.Body.String(), `"header_error":"`+wippidu.ErrNotADump.Message+`"`) {
		t.Errorf("sources lack the headers: %s", rec.Body)
	}
}

// TestSourceImportRefusals refuses imports from production's storage for each
// reason there is, with the gates' exact messages, audits each, and neither
// enqueues nor stores anything, nor changes production's storage.
func TestSourceImportRefusals(t *testing.T) {
	t.Parallel()
	src, srcDir := sourceFolder(t)
	before := folderContents(t, srcDir)
	staging := newEnv(t, envOpts{allowImport: true, source: src})
	b := staging.browser()
	b.login(adminEmail)
	base := b.sourceForm(goodExport)
	tests := []struct {
		name   string
		form   url.Values
		status int
		want   string
	}{
		{"wrong hostname", with(base, func(v url.Values) { v.Set("confirm_host", "app.wippidu.net") }), http.StatusForbidden, wippidu.ErrHostMismatch.Message},
		{"opt out without risk text", with(base, func(v url.Values) { v.Del("anonymize_emails") }), http.StatusForbidden, wippidu.ErrRiskNotAcked.Message},
		{"key outside exports", with(base, func(v url.Values) { v.Set("source_key", notAnExport) }), http.StatusNotFound, wippidu.ErrSourceNotFound.Message},
		{"key climbing out of exports", with(base, func(v url.Values) { v.Set("source_key", "exports/../"+notAnExport) }), http.StatusNotFound, wippidu.ErrSourceNotFound.Message},
		{"missing export", with(base, func(v url.Values) { v.Set("source_key", missingExport) }), http.StatusNotFound, wippidu.ErrSourceNotFound.Message},
		{"no export chosen", with(base, func(v url.Values) { v.Del("source_key") }), http.StatusBadRequest, "Choose an export from production storage to import."},
		{"not a dump", with(base, func(v url.Values) { v.Set("source_key", brokenExport) }), http.StatusBadRequest,
			"wippidu-export-20261124-101112.json.gz: " + wippidu.ErrNotADump.Message},
		{"missing csrf", with(base, func(v url.Values) { v.Del("csrf_token") }), http.StatusForbidden, "The form has expired. Reload the page and try again."},
	}
	for _, tt := range tests {
		for _, asJSON := range []bool{false, true} {
			t.Run(tt.name+map[bool]string{false: " (form)", true: " (JSON)"}[asJSON], func(t *testing.T) {
				rec := b.postForm("/admin/data/import/source", tt.form, asJSON)
				if rec.Code != tt.status {
					t.Errorf("status: got %d, want %d (%s)", rec.Code, tt.status, rec.Body)
				}
				if asJSON {
					if got := jsonError(t, rec); got != tt.want {
						t.Errorf("error: got %q, want %q", got, tt.want)
					}
				} else if !strings.Contains(rec.Body.String(), tt.want) || !strings.Contains(rec.Body.String(), `id="import-source-form"`) {
					t.Errorf("the page does not show %q with the list: %s", tt.want, rec.Body)
				}
				staging.assertNothingQueued()
			})
		}
	}
	// Each refusal is in the history as an import from production storage.
	if n, want := staging.count(`SELECT count(*) FROM import_export_audits WHERE kind = 'import' AND status = 'refused'
		AND options->>'source' = 'production storage'`), 2*(len(tests)-1); n != want {
		t.Errorf("refusals audited as imports from production storage: got %d, want %d", n, want)
	}
	if n := staging.count(`SELECT count(*) FROM import_export_audits WHERE status = 'refused' AND file_name = 'wippidu-export-20261125-101112.json.gz'
		AND error_message = '` + wippidu.ErrHostMismatch.Message + `'`); n != 2 {
		t.Errorf("host refusals naming the export: got %d, want 2", n)
	}
	if after := folderContents(t, srcDir); len(after) != len(before) {
		t.Errorf("production's storage changed: %d files, was %d", len(after), len(before))
	}

	t.Run("not an admin", func(t *testing.T) {
		teacher := staging.browser()
		teacher.login(teacherEmail)
		for _, rec := range []interface{ Result() *http.Response }{
			teacher.get("/admin/data/sources", true),
			teacher.postForm("/admin/data/import/source", teacher.sourceForm(goodExport), true),
		} {
			if rec.Result().StatusCode != http.StatusForbidden {
				t.Errorf("teacher: got %d, want 403", rec.Result().StatusCode)
			}
		}
		staging.assertNothingQueued()
	})
}

// TestSourceImportEnqueuesWithoutStoring: a good choice enqueues an import that
// reads production's storage; nothing is written to staging's own storage, the
// job page says where the dump comes from, and a second import waits its turn.
func TestSourceImportEnqueuesWithoutStoring(t *testing.T) {
	t.Parallel()
	src, srcDir := sourceFolder(t)
	before := folderContents(t, srcDir)
	staging := newEnv(t, envOpts{allowImport: true, source: src}) // nobody works the queue
	b := staging.browser()
	b.login(adminEmail)
	rec := b.postForm("/admin/data/import/source", b.sourceForm(goodExport), false)
	loc := rec.Header().Get("Location")
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/data?job=") {
		t.Fatalf("got %d Location %q, want 303 to the page (%s)", rec.Code, loc, rec.Body)
	}
	if n := staging.count(`SELECT count(*) FROM river_job WHERE kind = 'import' AND args->>'source' = 'source' AND args->>'object_key' = '` + goodExport + `'`); n != 1 {
		t.Errorf("import jobs reading production's storage: got %d, want 1", n)
	}
	if n := staging.count(`SELECT count(*) FROM import_export_audits WHERE kind = 'import' AND status = 'queued' AND options->>'source' = 'production storage'
		AND file_name = 'wippidu-export-20261125-101112.json.gz' AND size_bytes = ` + jsonInt(len(smallDump(t)))); n != 1 {
		t.Errorf("queued audits of the import: got %d, want 1", n)
	}
	if f := staging.storedFiles(); len(f) != 0 {
		t.Errorf("staging's storage holds %v, want nothing", f)
	}
	if after := folderContents(t, srcDir); len(after) != len(before) {
		t.Errorf("production's storage changed")
	}
	page := b.get(loc, false).Body.String()
	if !strings.Contains(page, `id="job-source">wippidu-export-20261125-101112.json.gz, read straight from production storage`) {
		t.Errorf("the job page does not say where the dump comes from")
	}
	st := b.get("/admin/data/jobs/"+between(page, `data-audit-id="`, `"`), true)
	if !strings.Contains(st.Body.String(), `"source":"production storage"`) {
		t.Errorf("job status: %s", st.Body)
	}

	busy := b.postForm("/admin/data/import/source", b.sourceForm(goodExport), true)
	if busy.Code != http.StatusConflict || jsonError(t, busy) != wippidu.ErrImportBusy.Message {
		t.Errorf("second import: got %d %s, want 409 busy", busy.Code, busy.Body)
	}
}

func jsonInt(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestSourceNeedsConfiguration: without SOURCE_STORAGE_URL the page lists
// nothing and both routes refuse; on production (no imports) they refuse as
// every import path does.
func TestSourceNeedsConfiguration(t *testing.T) {
	t.Parallel()
	src, _ := sourceFolder(t)
	for _, tt := range []struct {
		name string
		o    envOpts
		want string
	}{
		{"no SOURCE_STORAGE_URL", envOpts{allowImport: true}, wippidu.ErrNoSource.Message},
		{"imports not enabled", envOpts{source: src}, wippidu.ErrImportDisabled.Message},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.o)
			b := e.browser()
			b.login(adminEmail)
			if page := b.get("/admin/data", false).Body.String(); strings.Contains(page, "import-source") || strings.Contains(page, goodExport) {
				t.Errorf("the page offers imports from production storage")
			}
			list := b.get("/admin/data/sources", true)
			if list.Code != http.StatusForbidden || jsonError(t, list) != tt.want {
				t.Errorf("sources: got %d %s, want 403 %q", list.Code, list.Body, tt.want)
			}
			for _, asJSON := range []bool{false, true} {
				rec := b.postForm("/admin/data/import/source", b.sourceForm(goodExport), asJSON)
				if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), tt.want) {
					t.Errorf("import: got %d %s, want 403 %q", rec.Code, rec.Body, tt.want)
				}
			}
			e.assertNothingQueued()
		})
	}
}

// TestSourceUnreadableIsANote: when production's storage cannot be read (here:
// its bucket does not exist), the page still answers, with a note in the
// section; the list answers 503 with the reason, an import a clear refusal.
func TestSourceUnreadableIsANote(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	src, err := s3.New(t.Context(), s3.Config{Bucket: "no-such-bucket", Endpoint: srv.Endpoint, Region: srv.Region, PathStyle: true,
		AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	staging := newEnv(t, envOpts{allowImport: true, source: src})
	b := staging.browser()
	b.login(adminEmail)
	const note = "Production storage (SOURCE_STORAGE_URL) cannot be read right now: "
	page := b.get("/admin/data", false)
	if page.Code != http.StatusOK || !strings.Contains(page.Body.String(), `<div class="alert error" id="source-error">`+note) ||
		!strings.Contains(page.Body.String(), `id="import-form"`) {
		t.Errorf("page: got %d, want 200 with the note and the upload form: %s", page.Code, page.Body)
	}
	list := b.get("/admin/data/sources", true)
	if list.Code != http.StatusServiceUnavailable || !strings.HasPrefix(jsonError(t, list), note) {
		t.Errorf("sources: got %d %s, want 503 with the note", list.Code, list.Body)
	}
	// S3 answers a HEAD in a missing bucket as it answers one of a missing object.
	rec := b.postForm("/admin/data/import/source", b.sourceForm(goodExport), true)
	if rec.Code != http.StatusNotFound || jsonError(t, rec) != wippidu.ErrSourceNotFound.Message {
		t.Errorf("import: got %d %s, want 404 no such export", rec.Code, rec.Body)
	}
	staging.assertNothingQueued()
}
