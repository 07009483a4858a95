package main_test

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/internal/bigdump"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/internal/procmem"
	"github.com/wippidu/wippidu/internal/testdb"
	"github.com/wippidu/wippidu/sealed"
	"github.com/wippidu/wippidu/sealed/sealedtest"
)

func TestCommandLineEncryptedRefresh(t *testing.T) {
	t.Parallel()
	public, identity := sealedtest.KeyFile(t)
	_, otherIdentity := sealedtest.KeyFile(t)
	prod := newInstance(t, false)
	prod.env["EXPORT_RECIPIENTS"] = public
	staging := newInstance(t, true)
	testdb.Fixture(t, prod.pool)
	testdb.Fixture(t, staging.pool)
	dir := t.TempDir()

	code, stdout, stderr := prod.run(t, "export", "--inline", "--out", dir)
	if code != 0 {
		t.Fatalf("export: exit %d\n%s", code, stderr)
	}
	var out struct {
		File string `json:"file"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil || !strings.HasSuffix(out.File, ".json.gz.age") {
		t.Fatalf("export saved %q (%v), want a .json.gz.age file", out.File, err)
	}
	file, err := os.ReadFile(out.File)
	if err != nil || !sealed.IsSealed(file) {
		t.Fatalf("the saved export is no age file (%v)", err)
	}

	before := pgtest.Checksums(t, staging.pool)
	import_ := []string{"import", "--inline", "--confirm-host", "staging.wippidu.net", out.File}
	refusals := []struct {
		name, identity, want string
	}{
		{"no identity: the job refuses it", "", wippidu.ErrDumpEncrypted.Message},
		{"wrong key: refused before the upload", otherIdentity, wippidu.ErrWrongIdentity.Message},
	}
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			staging.env["IMPORT_IDENTITY"] = r.identity
			code, stdout, stderr := staging.run(t, import_...)
			if code != 1 || !strings.Contains(stderr, r.want) || stdout != "" {
				t.Errorf("got exit %d, stdout %q, stderr %q; want exit 1 and %q", code, stdout, stderr, r.want)
			}
		})
	}
	pgtest.ExpectUnchanged(t, staging.pool, before, "refused encrypted dumps", "import_export_audits")

	staging.env["IMPORT_IDENTITY"] = identity
	code, stdout, stderr = staging.run(t, import_...)
	if code != 0 || !strings.Contains(stdout, `"source_host":"app.wippidu.net"`) {
		t.Fatalf("import with the key: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// sealedBigBytes is the size of the dump TestEncryptedImportStreams imports;
// WIPPIDU_SEALED_BIG_BYTES changes it.
const sealedBigBytes = 384 << 20

// maxImportRSS is the most the importing process may hold resident.
const maxImportRSS = 100 << 20

// TestEncryptedImportStreams encrypts a generated 384 MiB dump as a stream and has
// the worker binary import it (upload to storage, then the job, in one process):
// the file is decrypted as it is read, so the process's peak RSS stays far below
// the dump's size.
func TestEncryptedImportStreams(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("encrypts and imports 384 MiB; skipped with -short")
	}
	size := int64(sealedBigBytes)
	if v := os.Getenv("WIPPIDU_SEALED_BIG_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("WIPPIDU_SEALED_BIG_BYTES=%q: %v", v, err)
		}
		size = n
	}
	public, identity := sealedtest.KeyFile(t)
	recipients, err := sealed.ParseRecipients(public)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "big.json.gz.age")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := recipients.Encrypt(f)
	if err != nil {
		t.Fatal(err)
	}
	d := bigdump.Stream(size)
	if _, err := io.Copy(w, d); err != nil {
		t.Fatal(err)
	}
	if err := firstErr(w.Close(), f.Close()); err != nil {
		t.Fatal(err)
	}

	staging := newInstance(t, true)
	staging.env["IMPORT_IDENTITY"] = identity
	c := staging.cmd("import", "--inline", "--confirm-host", "staging.wippidu.net", path)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	start := time.Now()
	rss, err := procmem.Run(c)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, tail(stderr.String(), 2000))
	}
	t.Logf("imported a %d MB encrypted dump in %s; peak RSS %d MB", size>>20, time.Since(start).Round(time.Second), rss>>20)
	if rss > maxImportRSS {
		t.Errorf("peak RSS of the import: %d MB, want under %d MB", rss>>20, maxImportRSS>>20)
	}
	if n := count(t, staging.pool, "SELECT count(*) FROM attachments"); n != d.Attachments() || n == 0 {
		t.Errorf("staging holds %d attachments, want the dump's %d", n, d.Attachments())
	}
}

// firstErr is the first error that is not nil.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
