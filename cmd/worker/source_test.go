package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/internal/testdb"
	"github.com/wippidu/wippidu/storage/storagetest"
)

// TestCommandLineImportFromSource: `worker import --list-source` lists
// production's export, and `worker import --from-source NAME` imports it from
// production's storage behind the same gates as a FILE, uploading nothing.
func TestCommandLineImportFromSource(t *testing.T) {
	t.Parallel()
	prod := newInstance(t, false)
	staging := newInstance(t, true)
	testdb.Fixture(t, prod.pool)
	testdb.Fixture(t, staging.pool)
	if code, _, stderr := prod.run(t, "export", "--inline", "--out", t.TempDir()); code != 0 {
		t.Fatalf("export: exit %d\n%s", code, stderr)
	}
	exported := storagetest.Files(t, prod.storageDir)
	if len(exported) != 1 || !strings.HasPrefix(exported[0], "exports/") {
		t.Fatalf("production's storage: %v, want its export", exported)
	}
	key, name := exported[0], filepath.Base(exported[0])

	// Without SOURCE_STORAGE_URL there is nothing to import from.
	for _, args := range [][]string{{"import", "--list-source"}, {"import", "--inline", "--confirm-host", "staging.wippidu.net", "--from-source", name}} {
		if code, stdout, stderr := staging.run(t, args...); code != 1 || !strings.Contains(stderr, "no SOURCE_STORAGE_URL") || stdout != "" {
			t.Errorf("%v without SOURCE_STORAGE_URL: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
	staging.env["SOURCE_STORAGE_URL"] = "file://" + prod.storageDir

	code, stdout, stderr := staging.run(t, "import", "--list-source")
	if code != 0 || !strings.Contains(stdout, name) || !strings.Contains(stdout, "app.wippidu.net") || !strings.Contains(stdout, key) {
		t.Fatalf("list: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, _, stderr := prod.run(t, "import", "--list-source"); code != 1 || !strings.Contains(stderr, "Import is not enabled on this instance.") {
		t.Errorf("list on production: exit %d, %s", code, stderr)
	}

	before := pgtest.Checksums(t, staging.pool)
	refusals := []struct {
		name string
		args []string
		want string
	}{
		{"wrong host", []string{"--confirm-host", "app.wippidu.net", "--from-source", name}, "The hostname you entered does not match this instance."},
		{"opt-out without ack", []string{"--confirm-host", "staging.wippidu.net", "--keep", "emails", "--from-source", name}, "I_UNDERSTAND_THE_PII_RISK"},
		{"missing export", []string{"--confirm-host", "staging.wippidu.net", "--from-source", "wippidu-export-20200101-000000.json.gz"}, "No such export in production storage."},
		{"key outside exports", []string{"--confirm-host", "staging.wippidu.net", "--from-source", "../" + filepath.Base(prod.storageDir) + "/" + key}, "No such export in production storage."},
	}
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			code, stdout, stderr := staging.run(t, append([]string{"import", "--inline"}, r.args...)...)
			if code != 1 || !strings.Contains(stderr, r.want) || stdout != "" {
				t.Errorf("got exit %d, stdout %q, stderr %q; want exit 1 and %q", code, stdout, stderr, r.want)
			}
		})
	}
	if code, _, stderr := staging.run(t, "import", "--from-source", name, "--confirm-host", "staging.wippidu.net", "some-file.json.gz"); code != 2 {
		t.Errorf("FILE and --from-source: exit %d, want 2 (usage)\n%s", code, stderr)
	}
	pgtest.ExpectUnchanged(t, staging.pool, before, "refused imports", "import_export_audits")
	if n := count(t, staging.pool, "SELECT count(*) FROM import_export_audits WHERE status = 'refused' AND options->>'source' = 'production storage'"); n != int64(len(refusals)+1) {
		t.Errorf("refusals audited: %d, want %d", n, len(refusals)+1)
	}
	if n := count(t, staging.pool, "SELECT count(*) FROM river_job WHERE kind = 'import'"); n != 0 {
		t.Errorf("refused imports enqueued %d jobs", n)
	}

	// A dry run from production's storage changes nothing.
	code, stdout, stderr = staging.run(t, "import", "--inline", "--dry-run", "--confirm-host", "staging.wippidu.net", "--from-source", name)
	if code != 0 || !strings.Contains(stdout, `"preview":true`) || !strings.Contains(stderr, "nothing was changed") {
		t.Fatalf("import --from-source --dry-run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	pgtest.ExpectUnchanged(t, staging.pool, before, "a dry run from production storage", "import_export_audits")

	code, stdout, stderr = staging.run(t, "import", "--inline", "--confirm-host", "staging.wippidu.net", "--from-source", name)
	if code != 0 {
		t.Fatalf("import: exit %d\n%s", code, stderr)
	}
	var out struct {
		SourceKey string `json:"source_key"`
		Result    struct {
			SourceHost string `json:"source_host"`
			Rows       int64  `json:"rows"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("stdout is not the result JSON: %v\n%s", err, stdout)
	}
	if out.SourceKey != key || out.Result.SourceHost != "app.wippidu.net" || out.Result.Rows != 28 {
		t.Errorf("result: %+v", out)
	}
	if n := count(t, staging.pool, "SELECT count(*) FROM users WHERE email = 'paula.parent@example.org'"); n != 0 {
		t.Errorf("production's emails on staging: %d", n)
	}
	if n := count(t, staging.pool, "SELECT count(*) FROM import_export_audits WHERE status = 'succeeded' AND options->>'source' = 'production storage' AND object_key = '"+key+"'"); n != 1 {
		t.Errorf("succeeded imports from production storage: %d, want 1", n)
	}
	if got := storagetest.Files(t, staging.storageDir); len(got) != 0 {
		t.Errorf("staging's storage holds %v, want nothing uploaded", got)
	}
	if got := storagetest.Files(t, prod.storageDir); len(got) != 1 || got[0] != key {
		t.Errorf("production's storage after the import: %v, want its export untouched", got)
	}
	if _, err := os.Stat(filepath.Join(prod.storageDir, filepath.FromSlash(key))); err != nil {
		t.Error(err)
	}
}
