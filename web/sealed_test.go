package web_test

import (
	"bytes"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/sealed"
	"github.com/wippidu/wippidu/sealed/sealedtest"
)

func TestEncryptedExportDownloadAndUpload(t *testing.T) {
	t.Parallel()
	public, secret := sealedtest.KeyPair(t)
	_, otherSecret := sealedtest.KeyPair(t)
	prod := newEnv(t, envOpts{work: true, fixture: true, vars: map[string]string{"EXPORT_RECIPIENTS": public}})
	b := prod.browser()
	b.login(adminEmail)
	if page := b.get("/admin/data", false).Body.String(); !strings.Contains(page, "Exports are encrypted to 1 age key") {
		t.Error("the page does not say that exports are encrypted")
	}
	rec := b.postForm("/admin/data/export", url.Values{"csrf_token": {b.csrf}, "include_attachments": {"true"}}, false)
	shown := strings.TrimPrefix(rec.Header().Get("Location"), "/admin/data?job=")
	if st := waitJob(t, b, shown); st["succeeded"] != true {
		t.Fatalf("export: %v", st)
	}
	if page := b.get("/admin/data", false).Body.String(); !strings.Contains(page, "encrypted to 1 key<") {
		t.Error("the list of exports does not say the export is encrypted")
	}
	dl := b.get("/admin/data/exports/"+shown+"/download", false)
	cd := dl.Header().Get("Content-Disposition")
	if dl.Code != http.StatusOK || !regexp.MustCompile(`^attachment; filename="wippidu-export-\d{8}-\d{6}\.json\.gz\.age"$`).MatchString(cd) {
		t.Fatalf("download: got %d, Content-Disposition %q", dl.Code, cd)
	}
	if ct := dl.Header().Get("Content-Type"); ct != "application/octet-stream" {
		t.Errorf("Content-Type: got %q, want application/octet-stream", ct)
	}
	file := dl.Body.Bytes()
	if !sealed.IsSealed(file) || bytes.Contains(file, []byte(stagingHost)) {
		t.Fatalf("downloaded file begins %q, want an age file with nothing in the clear", file[:min(len(file), 30)])
	}

	tests := []struct {
		name, identity string
		status         int
		want           string // the refusal; "" for accepted
	}{
		{"web tier without a key accepts it by its header", "", http.StatusAccepted, ""},
		{"web tier with the key accepts it", secret, http.StatusAccepted, ""},
		{"web tier with another key refuses it", otherSecret, http.StatusBadRequest, wippidu.ErrWrongIdentity.Message},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			staging := newEnv(t, envOpts{allowImport: true, vars: map[string]string{"IMPORT_IDENTITY": tt.identity}})
			sb := staging.browser()
			sb.login(adminEmail)
			if page := sb.get("/admin/data", false).Body.String(); !strings.Contains(page, `accept=".gz,.age,`) {
				t.Error("the import form's file field does not offer .age files")
			}
			f := sb.defaultImport(file)
			f.name += sealed.Ext
			rec := sb.postImport(f, true, nil)
			if rec.Code != tt.status {
				t.Fatalf("got %d %s, want %d", rec.Code, rec.Body, tt.status)
			}
			if tt.want != "" {
				if got := jsonError(t, rec); got != tt.want {
					t.Errorf("got %q, want %q", got, tt.want)
				}
				if n := len(staging.storedFiles()); n != 0 {
					t.Errorf("stored files after the refusal: %d, want 0", n)
				}
			}
		})
	}
}
