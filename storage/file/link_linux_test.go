package file_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/wippidu/wippidu/storage/storagetest"
)

// tmpfs mounts a tmpfs with options (its size) on a temporary folder, another
// filesystem, and returns the folder. Mounting needs root (CAP_SYS_ADMIN): the
// test skips elsewhere.
func tmpfs(t *testing.T, options string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, options); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root): %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// TestLinkAcrossFilesystems: between two filesystems nothing is linked, nothing
// is left behind, and the error says to copy instead.
func TestLinkAcrossFilesystems(t *testing.T) {
	t.Parallel()
	other := tmpfs(t, "size=1m")
	ctx := t.Context()
	store := newStore(t, t.TempDir())
	src := filepath.Join(other, "dump.json.gz")
	if err := os.WriteFile(src, []byte("the dump"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := store.LinkIn(ctx, "imports/a.json.gz", src); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("LinkIn across filesystems: got %v, want errors.ErrUnsupported", err)
	}
	if got := storagetest.Files(t, store.Root()); len(got) != 0 {
		t.Errorf("files left in the store: %v, want none", got)
	}
	if _, err := store.Put(ctx, "exports/e.json.gz", strings.NewReader("the export")); err != nil {
		t.Fatal(err)
	}
	if _, err := store.LinkOut(ctx, "exports/e.json.gz", filepath.Join(other, "saved.json.gz")); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("LinkOut across filesystems: got %v, want errors.ErrUnsupported", err)
	}
	if got := storagetest.Files(t, other); len(got) != 1 || got[0] != "dump.json.gz" {
		t.Errorf("files on the other filesystem: %v, want only the dump", got)
	}
}
