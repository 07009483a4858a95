package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/wippidu/wippidu/pull"
	"github.com/wippidu/wippidu/sealed/sealedtest"
	"github.com/wippidu/wippidu/storage/file"
)

// TestSourceListsAndImportsEncryptedExports: an encrypted export in production's
// storage is listed with its header when staging has the key, imported straight
// from there and decrypted as it streams; without the key it is listed as
// unreadable and cannot be chosen.
func TestSourceListsAndImportsEncryptedExports(t *testing.T) {
	t.Parallel()
	public, secret := sealedtest.KeyPair(t)
	dir := t.TempDir()
	src, err := file.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	enc := bytes.NewReader(sealedtest.Seal(t, public, productionDump(t)))
	const key = "exports/4/wippidu-export-20261130-101112.json.gz.age"
	if _, err := src.Put(context.Background(), key, enc); err != nil {
		t.Fatal(err)
	}

	list := func(b *browser) pull.Export {
		t.Helper()
		rec := b.get("/admin/data/sources", true)
		var v struct {
			Exports []pull.Export `json:"exports"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || len(v.Exports) != 1 {
			t.Fatalf("sources: %d %s", rec.Code, rec.Body)
		}
		return v.Exports[0]
	}

	keyless := newEnv(t, envOpts{allowImport: true, source: src})
	kb := keyless.browser()
	kb.login(adminEmail)
	if e := list(kb); !e.Encrypted || e.SourceHost != "" || !strings.Contains(e.HeaderError, "IMPORT_IDENTITY") {
		t.Errorf("without a key: %+v, want encrypted, no header, an error naming IMPORT_IDENTITY", e)
	}
	if rec := kb.postForm("/admin/data/import/source", kb.sourceForm(key), true); rec.Code < 400 {
		t.Errorf("import of an encrypted export without a key: %d %s", rec.Code, rec.Body)
	}

	staging := newEnv(t, envOpts{allowImport: true, work: true, source: src, vars: map[string]string{"IMPORT_IDENTITY": secret}})
	b := staging.browser()
	b.login(adminEmail)
	if e := list(b); !e.Encrypted || e.SourceHost != "app.wippidu.net" || !e.IncludeAttachments || e.HeaderError != "" {
		t.Errorf("with the key: %+v, want encrypted with its header read", e)
	}
	rec := b.postForm("/admin/data/import/source", b.sourceForm(key), true)
	var sub struct {
		JobID   int64 `json:"job_id"`
		AuditID int64 `json:"audit_id"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &sub); err != nil || sub.JobID == 0 {
		t.Fatalf("import: %d %s", rec.Code, rec.Body)
	}
	if st := waitJob(t, b, strconv.FormatInt(sub.AuditID, 10)); st["succeeded"] != true {
		t.Fatalf("import: %v", st)
	}
	if n := staging.count(`SELECT count(*) FROM students`); n != 3 {
		t.Errorf("students: got %d, want the dump's 3", n)
	}
}
