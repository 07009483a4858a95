package file_test

import (
	"errors"
	"os"
	"syscall"
	"testing"

	"github.com/wippidu/wippidu/storage/file"
	"github.com/wippidu/wippidu/storage/storagetest"
)

// TestPutDiskFull fills a tiny tmpfs.
func TestPutDiskFull(t *testing.T) {
	t.Parallel()
	dir := tmpfs(t, "size=1m")
	ctx := t.Context()
	store, err := file.New(dir)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = store.Close() }) // before the unmount

	_, err = store.Put(ctx, "full/dump", storagetest.Random(1, 2*storagetest.MiB))
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Put of 2 MiB into 1 MiB: got %v, want ENOSPC", err)
	}
	if _, err := store.Stat(ctx, "full/dump"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Stat after a failed Put: got %v, want os.ErrNotExist", err)
	}
	entries, err := os.ReadDir(dir + "/full")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("files left after a failed Put: %v, want none", entries)
	}

	// The space of the failed Put is free again.
	if n, err := store.Put(ctx, "full/small", storagetest.Random(2, 512<<10)); err != nil || n != 512<<10 {
		t.Errorf("Put of 512 KiB after the failure = %d, %v; want %d, nil", n, err, 512<<10)
	}
}
