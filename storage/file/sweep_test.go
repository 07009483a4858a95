package file_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wippidu/wippidu/storage/file"
)

func TestSweepRemovesTempFilesOfKilledUploads(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	store, err := file.New(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := store.Put(ctx, "imports/done.json.gz", bytesReader("done")); err != nil {
		t.Fatal(err)
	}
	// What a process killed in the middle of Put leaves: a temp file next to where
	// the object would have gone, one old and one still being written.
	old := filepath.Join(root, "imports", ".tmp-killed")
	fresh := filepath.Join(root, "imports", ".tmp-writing")
	for _, p := range []string{old, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(old, past, past); err != nil {
		t.Fatal(err)
	}
	n, err := store.SweepIncomplete(ctx, time.Now().Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("swept: got %d, want 1", n)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("old temp file still there: %v", err)
	}
	for _, p := range []string{fresh, filepath.Join(root, "imports", "done.json.gz")} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}
