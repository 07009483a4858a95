package web_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestFailedImportsUploadIsHeldUntilAndCanBeDeleted: the history says on a failed
// import's row that production's raw dump is still held, and until when
// (FAILED_UPLOAD_RETENTION after the failure); its button deletes it at once, with
// the form's CSRF token and not without. A row whose dump is gone, or that was
// read from production's storage, says nothing of the kind.
func TestFailedImportsUploadIsHeldUntilAndCanBeDeleted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{allowImport: true, vars: map[string]string{"FAILED_UPLOAD_RETENTION": "36h"}})
	ctx := context.Background()
	failed := time.Date(2026, 11, 30, 8, 15, 0, 0, time.UTC)
	row := func(key, source string) int64 {
		t.Helper()
		var id int64
		if err := e.pool.QueryRow(ctx, `INSERT INTO import_export_audits (kind, status, requested_by, object_key, options, finished_at, error_message)
			VALUES ('import', 'failed', 'admin', $1, jsonb_build_object('source', $2::text), $3, 'storage went away') RETURNING id`,
			key, source, failed).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	store := func(key string) string {
		t.Helper()
		path := filepath.Join(e.storeDir, filepath.FromSlash(key))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("dump"), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	held := row("imports/held.json.gz", "upload")
	heldFile := store("imports/held.json.gz")
	gone := row("imports/gone.json.gz", "upload")
	fromSource := row("exports/prod.json.gz", "production storage")
	store("exports/prod.json.gz")

	b := e.browser()
	b.login(adminEmail)
	page := b.get("/admin/data", false).Body.String()
	note := between(page, `id="held-upload-`+strconv.FormatInt(held, 10)+`"`, "</form>")
	if !strings.Contains(note, "Production's raw dump is still held here, for a retry, until 2026-12-01 20:15") || !strings.Contains(note, "Delete it now") {
		t.Errorf("held upload's row: %q", note)
	}
	for _, id := range []int64{gone, fromSource} {
		if strings.Contains(page, `id="held-upload-`+strconv.FormatInt(id, 10)+`"`) {
			t.Errorf("audit %d offers to delete an upload it does not hold", id)
		}
	}

	path := "/admin/data/imports/" + strconv.FormatInt(held, 10) + "/upload/delete"
	if rec := b.postForm(path, url.Values{}, false); rec.Code != http.StatusForbidden {
		t.Errorf("delete without the CSRF token: %d, want 403", rec.Code)
	}
	if _, err := os.Stat(heldFile); err != nil {
		t.Fatalf("the upload went without a CSRF token: %v", err)
	}
	if rec := b.postForm("/admin/data/imports/"+strconv.FormatInt(fromSource, 10)+"/upload/delete", url.Values{"csrf_token": {b.csrf}}, false); rec.Code != http.StatusNotFound {
		t.Errorf("delete of production's export: %d, want 404", rec.Code)
	}
	rec := b.postForm(path, url.Values{"csrf_token": {b.csrf}}, false)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("delete: %d %s", rec.Code, rec.Body)
	}
	if _, err := os.Stat(heldFile); !os.IsNotExist(err) {
		t.Errorf("the upload after its delete button: %v", err)
	}
	if page := b.get("/admin/data", false).Body.String(); strings.Contains(page, `id="held-upload-`) {
		t.Error("the page still says an upload is held")
	}
}
