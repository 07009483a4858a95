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
	t.Parallel()
	storagetest.RunContract(t, func(t *testing.T) storage.Storage {
		store, err := file.New(t.TempDir())
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		return store
	})
}

func TestTempFilesHidden(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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

// TestLinksOutOfTheRootAreRefused plants symbolic links below the root that lead
// out of it, as someone with write access to the folder could: to a folder and to
// a file outside. No method reads, lists, writes or deletes through them, while a
// link that stays inside the root still works.
func TestLinksOutOfTheRootAreRefused(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	root, outside := t.TempDir(), t.TempDir()
	secret := filepath.Join(outside, "production.json.gz")
	if err := os.WriteFile(secret, []byte("production's dump"), 0o600); err != nil {
		t.Fatal(err)
	}
	store, err := file.New(root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Put(ctx, "inside/real.json.gz", strings.NewReader("ours")); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{
		"imports":               outside,                        // a folder outside, absolute
		"exports":               "../" + filepath.Base(outside), // a folder outside, relative
		"inside/escape.json.gz": secret,                         // a file outside
		"inside/rel.json.gz":    "../../" + filepath.Base(outside) + "/production.json.gz",
		"inside/ok.json.gz":     "real.json.gz", // stays inside
	} {
		if err := os.Symlink(target, filepath.Join(root, filepath.FromSlash(link))); err != nil {
			t.Fatal(err)
		}
	}
	// outside sits beside root only when both are t.TempDir()s of one test.
	if filepath.Dir(root) != filepath.Dir(outside) {
		t.Fatalf("temp dirs %s and %s are not siblings", root, outside)
	}
	for _, key := range []string{"imports/production.json.gz", "exports/production.json.gz", "inside/escape.json.gz", "inside/rel.json.gz"} {
		if r, err := store.Open(ctx, key); err == nil {
			r.Close()
			t.Errorf("Open(%q) read through a link out of the root", key)
		}
		if _, err := store.Stat(ctx, key); err == nil {
			t.Errorf("Stat(%q) followed a link out of the root", key)
		}
		if err := store.Delete(ctx, key); err != nil {
			t.Logf("Delete(%q): %v", key, err)
		}
	}
	for _, key := range []string{"imports/new.json.gz", "exports/new.json.gz"} {
		if _, err := store.Put(ctx, key, strings.NewReader("x")); err == nil {
			t.Errorf("Put(%q) wrote through a link out of the root", key)
		}
	}
	if _, err := os.Stat(secret); err != nil {
		t.Errorf("the file outside: %v, want it untouched", err)
	}
	entries, _ := os.ReadDir(outside)
	if len(entries) != 1 {
		t.Errorf("the folder outside holds %d entries, want only its own file", len(entries))
	}
	list, err := store.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Key != "inside/real.json.gz" {
		t.Errorf("List = %+v, want only inside/real.json.gz", list)
	}
	r, err := store.Open(ctx, "inside/ok.json.gz")
	if err != nil {
		t.Fatalf("a link inside the root: %v", err)
	}
	r.Close()
}

// readSizes records the size of every read asked of it.
type readSizes struct {
	r    *strings.Reader
	most int
}

func (s *readSizes) Read(p []byte) (int, error) {
	s.most = max(s.most, len(p))
	return s.r.Read(p)
}

// TestPutReadsInLargeBlocks: Put reads its source up to 1 MiB at a time, not
// the 32 KiB of io.Copy into a file (each read from an export's pipe is a wake
// of the exporting goroutine and a write of its own).
func TestPutReadsInLargeBlocks(t *testing.T) {
	t.Parallel()
	store, err := file.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	content := strings.Repeat("wippidu ", 1<<18) // 2 MiB
	src := &readSizes{r: strings.NewReader(content)}
	if n, err := store.Put(t.Context(), "exports/a.json.gz", src); err != nil || n != int64(len(content)) {
		t.Fatalf("Put: %d bytes, %v", n, err)
	}
	if src.most < 1<<20 {
		t.Errorf("Put read at most %d bytes at a time, want 1 MiB", src.most)
	}
	got, err := os.ReadFile(filepath.Join(store.Root(), "exports", "a.json.gz"))
	if err != nil || string(got) != content {
		t.Fatalf("stored %d bytes, %v; want the 2 MiB put", len(got), err)
	}
}
