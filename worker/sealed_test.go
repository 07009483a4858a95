package worker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/riverqueue/river/rivertype"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/internal/testdb"
	"github.com/wippidu/wippidu/jobs"
	"github.com/wippidu/wippidu/sealed"
	"github.com/wippidu/wippidu/sealed/sealedtest"
)

func TestEncryptedExportThenImportThroughJobs(t *testing.T) {
	t.Parallel()
	public, identity := sealedtest.KeyFile(t)
	_, otherIdentity := sealedtest.KeyFile(t)
	prod := newInstance(t, instanceOpts{env: map[string]string{"EXPORT_RECIPIENTS": public}})
	testdb.Fixture(t, prod.pool)
	key, _ := prod.exportFile(t)

	// Production stored it encrypted, under the encrypted name.
	if !strings.HasSuffix(key, ".json.gz"+sealed.Ext) {
		t.Errorf("stored as %q, want a .json.gz.age name", key)
	}
	r, err := prod.store.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	head, _ := io.ReadAll(io.LimitReader(r, 64))
	r.Close()
	if !sealed.IsSealed(head) {
		t.Fatalf("stored export begins %q, want an age header", head)
	}
	var res wippidu.ExportResult
	if err := json.Unmarshal(lastExportResult(t, prod), &res); err != nil || res.EncryptedTo != 1 {
		t.Errorf("export result: encrypted to %d keys (%v), want 1", res.EncryptedTo, err)
	}

	refusals := []struct {
		name, identity, want string
		flip                 bool // a byte of the file's data altered
	}{
		{"no identity", "", wippidu.ErrDumpEncrypted.Message, false},
		{"wrong key", otherIdentity, wippidu.ErrWrongIdentity.Message, false},
		{"altered", identity, "The encrypted dump is damaged or was altered: its data fails to authenticate", true},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			staging := newInstance(t, instanceOpts{allowImport: true, env: map[string]string{"IMPORT_IDENTITY": tt.identity}})
			testdb.Fixture(t, staging.pool)
			before := pgtest.Checksums(t, staging.pool)
			in := upload(t, prod, staging, key)
			if tt.flip {
				in = flipStored(t, staging, in)
			}
			s, err := staging.sub.Import(context.Background(), importRequest(in))
			if err != nil {
				t.Fatal(err)
			}
			st := staging.wait(t, s.JobID)
			if st.Succeeded || st.Attempt != 1 || st.State != string(rivertype.JobStateCancelled) {
				t.Errorf("state %s after %d attempts, want cancelled after 1", st.State, st.Attempt)
			}
			if !strings.HasPrefix(st.Error, tt.want) || !strings.HasSuffix(st.Error, "Nothing was changed.") {
				t.Errorf("job error: got %q, want %q…", st.Error, tt.want)
			}
			a, _ := audit.Get(context.Background(), staging.pool, s.AuditID)
			if a.Status != audit.StatusFailed || a.ErrorMessage == nil || *a.ErrorMessage != st.Error {
				t.Errorf("audit: got %s %v, want failed with %q", a.Status, a.ErrorMessage, tt.want)
			}
			pgtest.ExpectUnchanged(t, staging.pool, before, "a dump it cannot decrypt", "import_export_audits")
		})
	}

	t.Run("right key", func(t *testing.T) {
		staging := newInstance(t, instanceOpts{allowImport: true, env: map[string]string{"IMPORT_IDENTITY": identity}})
		s, err := staging.sub.Import(context.Background(), importRequest(upload(t, prod, staging, key)))
		if err != nil {
			t.Fatal(err)
		}
		st := staging.wait(t, s.JobID)
		if !st.Succeeded {
			t.Fatalf("import failed: %s", st.Error)
		}
		if st.BytesTotal == 0 || st.BytesDone != st.BytesTotal {
			t.Errorf("progress counts the encrypted file: got %d of %d bytes", st.BytesDone, st.BytesTotal)
		}
		if got := pgtest.Strings(t, staging.pool, "SELECT count(*)::text FROM users"); got[0] != "5" {
			t.Errorf("users after import: got %s, want 5", got[0])
		}
	})
}

// flipStored stores a copy of an instance's dump with one byte of its last 100
// altered, and returns the copy's key.
func flipStored(t *testing.T, in *instance, key string) string {
	t.Helper()
	ctx := context.Background()
	r, err := in.store.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-50] ^= 0x01
	dst := jobs.NewImportKey()
	if _, err := in.store.Put(ctx, dst, bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	return dst
}

// lastExportResult is the result of the newest export in an instance's audit rows.
func lastExportResult(t *testing.T, in *instance) []byte {
	t.Helper()
	var b []byte
	if err := in.pool.QueryRow(context.Background(),
		"SELECT result FROM import_export_audits WHERE kind = 'export' ORDER BY id DESC LIMIT 1").Scan(&b); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSpace(b)
}
