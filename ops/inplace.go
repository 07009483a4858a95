package ops

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/wippidu/wippidu/storage"
)

// A dump on this machine need not pass through storage when this process runs the
// job itself (--inline): the import reads the admin's file where it lies, and an
// export that storage cannot link out (S3) is written to --out as it goes up.
// Both are storage as the inline job sees it, so that the job runs exactly as on
// a worker.

// inPlace is the storage of an inline import: the dump under key is the file at
// path, read where it lies; every other key is the instance's storage. Nothing is
// ever stored or deleted under key: the file is the admin's, not an upload, and
// stays when the import is done with it.
type inPlace struct {
	storage.Storage
	key, path string
}

// Stat implements storage.Storage.
func (s inPlace) Stat(ctx context.Context, key string) (storage.Object, error) {
	if key != s.key {
		return s.Storage.Stat(ctx, key)
	}
	fi, err := os.Stat(s.path)
	if err != nil {
		return storage.Object{}, err
	}
	return storage.Object{Key: key, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Open implements storage.Storage.
func (s inPlace) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if key != s.key {
		return s.Storage.Open(ctx, key)
	}
	return os.Open(s.path)
}

// Put implements storage.Storage.
func (s inPlace) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if key == s.key {
		return 0, fmt.Errorf("put %q: the dump is read in place from %s, never stored", key, s.path)
	}
	return s.Storage.Put(ctx, key, r)
}

// Delete implements storage.Storage.
func (s inPlace) Delete(ctx context.Context, key string) error {
	if key == s.key {
		return nil
	}
	return s.Storage.Delete(ctx, key)
}

// teeStore is the storage of an inline export into storage that cannot link a
// file out: every object put is also written into a file in dir as its bytes go
// up, so that the export crosses the network once and is never read back. A copy
// that cannot be written costs the export nothing: the command then downloads.
type teeStore struct {
	storage.Storage
	dir string

	mu     sync.Mutex
	copies map[string]teeCopy // the complete copies, by key
}

// teeCopy is a complete copy of an object: its file and size.
type teeCopy struct {
	path string
	size int64
}

func newTeeStore(st storage.Storage, dir string) *teeStore {
	return &teeStore{Storage: st, dir: dir, copies: map[string]teeCopy{}}
}

// Put implements storage.Storage.
func (t *teeStore) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	f, err := os.CreateTemp(t.dir, ".wippidu-export-*.part")
	if err != nil {
		return t.Storage.Put(ctx, key, r)
	}
	w := &bestEffort{w: f}
	n, err := t.Storage.Put(ctx, key, io.TeeReader(r, w))
	if cerr := f.Close(); w.err == nil {
		w.err = cerr
	}
	if err != nil || w.err != nil || w.n != n {
		os.Remove(f.Name())
		return n, err
	}
	t.mu.Lock()
	old, had := t.copies[key]
	t.copies[key] = teeCopy{path: f.Name(), size: n}
	t.mu.Unlock()
	if had {
		os.Remove(old.path)
	}
	return n, nil
}

// take hands over the complete copy of the object at key, if it has size bytes.
func (t *teeStore) take(key string, size int64) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c, ok := t.copies[key]
	if !ok || c.size != size {
		return "", false
	}
	delete(t.copies, key)
	return c.path, true
}

// close removes the copies nobody took.
func (t *teeStore) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for key, c := range t.copies {
		os.Remove(c.path)
		delete(t.copies, key)
	}
}

// bestEffort writes to w until a write fails, and then no more, never failing
// the upload it sits beside.
type bestEffort struct {
	w   io.Writer
	n   int64
	err error
}

func (b *bestEffort) Write(p []byte) (int, error) {
	if b.err == nil {
		var n int
		n, b.err = b.w.Write(p)
		b.n += int64(n)
	}
	return len(p), nil
}
