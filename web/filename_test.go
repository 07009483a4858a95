package web_test

import (
	"context"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestUploadFileNameCannotChooseWhereItIsStored uploads dumps whose file names try
// to escape the storage folder: the file is stored under a key the server chose,
// inside imports/, nothing lands outside the storage root, and the audit keeps a
// harmless base name.
func TestUploadFileNameCannotChooseWhereItIsStored(t *testing.T) {
	t.Parallel()
	keyRE := regexp.MustCompile(`^imports/[0-9]{8}-[0-9]{6}-[0-9a-f]{24}\.json\.gz$`)
	names := []struct{ name, upload string }{
		{"dot-dot slash", "../../etc/passwd"},
		{"dot-dot deep", "../../../../../../../../tmp/wippidu-escape.json.gz"},
		{"backslashes", `..\..\boot.ini`},
		{"absolute", "/etc/passwd"},
		{"windows absolute", `C:\Windows\System32\config\SAM`},
		{"only dot-dot", ".."},
		{"NUL", "dump\x00.json.gz"},
		{"very long", strings.Repeat("a", 5000) + ".json.gz"},
		{"control characters", "dump\r\n\t.json.gz"},
	}
	for _, n := range names {
		t.Run(n.name, func(t *testing.T) {
			staging := newEnv(t, envOpts{allowImport: true})
			b := staging.browser()
			b.login(adminEmail)
			f := b.defaultImport(smallDump(t))
			f.name = n.upload
			rec := b.postImport(f, true, nil)
			if rec.Code != http.StatusAccepted {
				// A name the multipart parser refuses is refused as a whole: nothing kept.
				t.Logf("refused: %d %s", rec.Code, rec.Body)
				if rec.Code < 400 || rec.Code >= 500 {
					t.Errorf("status: got %d, want 202 or a 4xx refusal", rec.Code)
				}
				staging.assertNothingQueued()
				assertInside(t, staging.storeDir)
				return
			}
			var key, fileName string
			if err := staging.pool.QueryRow(context.Background(), `SELECT object_key, file_name FROM import_export_audits`).Scan(&key, &fileName); err != nil {
				t.Fatal(err)
			}
			if !keyRE.MatchString(key) {
				t.Errorf("object key %q is not a server-chosen key under imports/", key)
			}
			files := staging.storedFiles()
			if want := filepath.Join(staging.storeDir, filepath.FromSlash(key)); len(files) != 1 || files[0] != want {
				t.Errorf("stored files: got %v, want only %s", files, want)
			}
			assertInside(t, staging.storeDir)
			if fileName == "" || fileName == "." || fileName == ".." || len(fileName) > 255 || !utf8.ValidString(fileName) ||
				strings.ContainsAny(fileName, "/\\\x00\r\n") {
				t.Errorf("audit file_name %.60q (%d bytes) is not a harmless base name", fileName, len(fileName))
			}
		})
	}
}

// assertInside checks that the storage root's parent holds nothing but the root:
// no upload was written beside it.
func assertInside(t *testing.T, root string) {
	t.Helper()
	err := filepath.WalkDir(filepath.Dir(root), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != filepath.Dir(root) && p != root && !strings.HasPrefix(p, root+string(os.PathSeparator)) {
			t.Errorf("found %s outside the storage root %s", p, root)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
