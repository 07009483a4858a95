package file_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wippidu/wippidu/storage"
	"github.com/wippidu/wippidu/storage/file"
	"github.com/wippidu/wippidu/storage/storagetest"
)

func TestContract(t *testing.T) {
	storagetest.RunContract(t, func(t *testing.T) storage.Storage {
		store, err := file.New(t.TempDir())
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		return store
	})
}

func TestTempFilesHidden(t *testing.T) {
	ctx := t.Context()
	store, err := file.New(t.TempDir())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if _, err := store.Put(ctx, "dir/real", strings.NewReader("x")); err != nil {
		t.Fatalf("Put: %v", err)
	}
	// What a crash in the middle of Put leaves behind.
	leftover := filepath.Join(store.Root(), "dir", ".tmp-crashed")
	if err := os.WriteFile(leftover, []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	objs, err := store.List(ctx, "")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if got, want := len(objs), 1; got != want || objs[0].Key != "dir/real" {
		t.Errorf("List = %+v, want only dir/real", objs)
	}
	for _, key := range []string{".tmp-x", "dir/.tmp-crashed"} {
		if _, err := store.Put(ctx, key, strings.NewReader("x")); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Put(%q): got %v, want ErrInvalidKey", key, err)
		}
		if _, err := store.Stat(ctx, key); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Stat(%q): got %v, want ErrInvalidKey", key, err)
		}
	}
}

func TestNewCreatesRoot(t *testing.T) {
	root := filepath.Join(t.TempDir(), "a", "b")
	store, err := file.New(root)
	if err != nil {
		t.Fatalf("New(%q): %v", root, err)
	}
	if err := store.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		t.Errorf("Stat(%q) = %v, %v; want a directory", root, fi, err)
	}
}

func TestPingMissingRoot(t *testing.T) {
	root := filepath.Join(t.TempDir(), "root")
	store, err := file.New(root)
	if err != nil {
		t.Fatalf("New(%q): %v", root, err)
	}
	if err := os.Remove(root); err != nil {
		t.Fatal(err)
	}
	if err := store.Ping(t.Context()); err == nil {
		t.Errorf("Ping with the root removed: got nil, want an error")
	}
}

func bytesReader(s string) *strings.Reader { return strings.NewReader(s) }
