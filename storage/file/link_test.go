package file_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wippidu/wippidu/storage/file"
	"github.com/wippidu/wippidu/storage/storagetest"
)

func newStore(t *testing.T, root string) *file.Store {
	t.Helper()
	store, err := file.New(root)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = store.Close() })
	return store
}

// TestLinkInSharesTheFile: LinkIn makes a file the object without a copy, and
// deleting the object leaves the file.
func TestLinkInSharesTheFile(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := newStore(t, t.TempDir())
	src := filepath.Join(t.TempDir(), "dump.json.gz")
	if err := os.WriteFile(src, []byte("the dump"), 0o600); err != nil {
		t.Fatal(err)
	}
	n, err := store.LinkIn(ctx, "imports/a.json.gz", src)
	if err != nil || n != 8 {
		t.Fatalf("LinkIn = %d, %v; want 8, nil", n, err)
	}
	if !storagetest.SameFile(t, src, filepath.Join(store.Root(), "imports", "a.json.gz")) {
		t.Errorf("the object is a copy of the file, want the same file")
	}
	if got := storagetest.Files(t, store.Root()); len(got) != 1 || got[0] != "imports/a.json.gz" {
		t.Errorf("files in the store: %v, want only the object", got)
	}
	if err := store.Delete(ctx, "imports/a.json.gz"); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(src); err != nil || string(b) != "the dump" {
		t.Errorf("the file after the object was deleted: %q, %v; want it as it was", b, err)
	}
	if _, err := store.LinkIn(ctx, "imports/b.json.gz", filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LinkIn of a missing file: got %v, want os.ErrNotExist", err)
	}
	if _, err := store.LinkIn(ctx, "imports/c.json.gz", t.TempDir()); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("LinkIn of a directory: got %v, want errors.ErrUnsupported", err)
	}
	if got := storagetest.Files(t, store.Root()); len(got) != 0 {
		t.Errorf("files left in the store: %v, want none", got)
	}
}

// TestLinkOutSharesTheObject: LinkOut replaces a file with a name of the object,
// which outlives the object.
func TestLinkOutSharesTheObject(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := newStore(t, t.TempDir())
	if _, err := store.Put(ctx, "exports/1/e.json.gz", strings.NewReader("the export")); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "saved.json.gz")
	if err := os.WriteFile(dest, []byte("an older file"), 0o644); err != nil {
		t.Fatal(err)
	}
	n, err := store.LinkOut(ctx, "exports/1/e.json.gz", dest)
	if err != nil || n != 10 {
		t.Fatalf("LinkOut = %d, %v; want 10, nil", n, err)
	}
	if !storagetest.SameFile(t, dest, filepath.Join(store.Root(), "exports", "1", "e.json.gz")) {
		t.Errorf("the saved file is a copy of the object, want the same file")
	}
	if _, err := os.Stat(dest + ".part"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s.part left: %v", dest, err)
	}
	if err := store.Delete(ctx, "exports/1/e.json.gz"); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(dest); err != nil || string(b) != "the export" {
		t.Errorf("the saved file after the object was deleted: %q, %v; want the export", b, err)
	}
	if _, err := store.LinkOut(ctx, "exports/1/e.json.gz", dest); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LinkOut of a missing object: got %v, want os.ErrNotExist", err)
	}
}
