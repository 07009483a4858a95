// Package storagetest is the contract every storage.Storage backend must meet,
// written once and run against each backend:
//
//	func TestContract(t *testing.T) {
//		storagetest.RunContract(t, func(t *testing.T) storage.Storage {
//			store, err := file.New(t.TempDir())
//			if err != nil {
//				t.Fatal(err)
//			}
//			return store
//		})
//	}
//
// Every subtest runs in parallel under its own random key prefix, so one store
// may be shared by all of them.
package storagetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"os"
	"slices"
	"testing"
	"testing/iotest"
	"time"

	"github.com/wippidu/wippidu/storage"
)

// MiB is a mebibyte.
const MiB = 1 << 20

// RunContract runs the contract suite against the stores newStore returns. It
// calls newStore once per subtest.
func RunContract(t *testing.T, newStore func(t *testing.T) storage.Storage) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s storage.Storage, prefix string)
	}{
		{"PutOpen", testPutOpen},
		{"Replace", testReplace},
		{"Stat", testStat},
		{"List", testList},
		{"Delete", testDelete},
		{"Missing", testMissing},
		{"InvalidKey", testInvalidKey},
		{"FailingReader", testFailingReader},
		{"CancelledPut", testCancelledPut},
		{"Ping", testPing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, newStore(t), RandomPrefix(t))
		})
	}
}

// RandomPrefix returns a fresh key prefix ending in "/", so tests sharing a store
// never see each other's objects.
func RandomPrefix(t testing.TB) string {
	t.Helper()
	return "test-" + rand.Text() + "/"
}

// Random returns a reader of size pseudo-random, incompressible bytes made on
// the fly from seed, so a large object never sits in memory.
func Random(seed uint64, size int64) io.Reader {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	return io.LimitReader(mathrand.NewChaCha8(key), size)
}

func testPutOpen(t *testing.T, s storage.Storage, prefix string) {
	tests := []struct {
		name string
		key  string
		size int64
		// wrap changes how the bytes arrive, e.g. in small pieces.
		wrap func(io.Reader) io.Reader
	}{
		{name: "empty", key: "empty", size: 0},
		{name: "one byte", key: "one", size: 1},
		{name: "small", key: "dir/sub/small.json.gz", size: 1000},
		{name: "odd names", key: "with space/ümlaut+plus%20=&?.gz", size: 10},
		{name: "short reads", key: "half", size: MiB + 7, wrap: iotest.HalfReader},
		{name: "20 MiB streamed", key: "big/dump.json.gz", size: 20*MiB + 3},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			key := prefix + tt.key
			r := Random(uint64(i), tt.size)
			if tt.wrap != nil {
				r = tt.wrap(r)
			}
			n, err := s.Put(ctx, key, r)
			if err != nil {
				t.Fatalf("Put(%q): %v", key, err)
			}
			if n != tt.size {
				t.Errorf("Put(%q) stored %d bytes, want %d", key, n, tt.size)
			}
			if got, want := hashObject(t, s, key), hashReader(t, Random(uint64(i), tt.size)); got != want {
				t.Errorf("Open(%q) content sha256 %x, want %x", key, got, want)
			}
			obj, err := s.Stat(ctx, key)
			if err != nil {
				t.Fatalf("Stat(%q): %v", key, err)
			}
			if obj.Key != key || obj.Size != tt.size {
				t.Errorf("Stat(%q) = key %q size %d, want key %q size %d", key, obj.Key, obj.Size, key, tt.size)
			}
		})
	}
}

func testReplace(t *testing.T, s storage.Storage, prefix string) {
	ctx := t.Context()
	key := prefix + "dump.json.gz"
	put(t, s, key, "first version, the longer one")
	put(t, s, key, "second")
	if got, want := read(t, s, key), "second"; got != want {
		t.Errorf("Open(%q) after replace = %q, want %q", key, got, want)
	}
	obj, err := s.Stat(ctx, key)
	if err != nil {
		t.Fatalf("Stat(%q): %v", key, err)
	}
	if got, want := obj.Size, int64(len("second")); got != want {
		t.Errorf("Stat(%q).Size after replace = %d, want %d", key, got, want)
	}
	if got := listKeys(t, s, prefix); !slices.Equal(got, []string{key}) {
		t.Errorf("List(%q) after replace = %q, want [%q]", prefix, got, key)
	}
}

func testStat(t *testing.T, s storage.Storage, prefix string) {
	ctx := t.Context()
	key := prefix + "a/b.txt"
	// Object stores keep whole seconds; leave room for that and for a clock
	// that is not the test's own.
	const slack = 5 * time.Second
	before := time.Now()
	put(t, s, key, "hello, world")
	after := time.Now()

	obj, err := s.Stat(ctx, key)
	if err != nil {
		t.Fatalf("Stat(%q): %v", key, err)
	}
	if obj.Key != key {
		t.Errorf("Stat(%q).Key = %q, want %q", key, obj.Key, key)
	}
	if got, want := obj.Size, int64(len("hello, world")); got != want {
		t.Errorf("Stat(%q).Size = %d, want %d", key, got, want)
	}
	if obj.ModTime.Before(before.Add(-slack)) || obj.ModTime.After(after.Add(slack)) {
		t.Errorf("Stat(%q).ModTime = %v, want between %v and %v", key, obj.ModTime, before, after)
	}

	listed, err := s.List(ctx, key)
	if err != nil {
		t.Fatalf("List(%q): %v", key, err)
	}
	if len(listed) != 1 || listed[0].Key != key || listed[0].Size != obj.Size || listed[0].ModTime.IsZero() {
		t.Errorf("List(%q) = %+v, want one object with key %q, size %d and a mod time", key, listed, key, obj.Size)
	}
}

func testList(t *testing.T, s storage.Storage, prefix string) {
	ctx := t.Context()
	// Put in an order that is not the key order.
	for _, key := range []string{"b/2", "a/x/deep", "b/1", "a-c", "a/1", "ab", "b/10"} {
		put(t, s, prefix+key, key)
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"a-c", "a/1", "a/x/deep", "ab", "b/1", "b/10", "b/2"}},
		{"a/", []string{"a/1", "a/x/deep"}},
		{"a", []string{"a-c", "a/1", "a/x/deep", "ab"}},
		{"b/1", []string{"b/1", "b/10"}},
		{"a/x/", []string{"a/x/deep"}},
		{"c/", []string{}},
		{"nothing/at/all/", []string{}},
	}
	for _, tt := range tests {
		p := prefix + tt.prefix
		objs, err := s.List(ctx, p)
		if err != nil {
			t.Fatalf("List(%q): %v", p, err)
		}
		if objs == nil {
			t.Errorf("List(%q) = nil, want an empty slice", p)
		}
		var want []string
		for _, k := range tt.want {
			want = append(want, prefix+k)
		}
		if got := keysOf(objs); !slices.Equal(got, want) {
			t.Errorf("List(%q) = %q, want %q", p, got, want)
		}
		for _, o := range objs {
			if wantSize := int64(len(o.Key) - len(prefix)); o.Size != wantSize {
				t.Errorf("List(%q): %q has size %d, want %d", p, o.Key, o.Size, wantSize)
			}
		}
	}
}

func testDelete(t *testing.T, s storage.Storage, prefix string) {
	ctx := t.Context()
	key, other := prefix+"gone", prefix+"stays"
	put(t, s, key, "x")
	put(t, s, other, "y")
	for i := range 2 { // deleting twice: the second time the object is missing
		if err := s.Delete(ctx, key); err != nil {
			t.Fatalf("Delete(%q) #%d: %v", key, i+1, err)
		}
	}
	if _, err := s.Stat(ctx, key); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Stat(%q) after Delete: got %v, want os.ErrNotExist", key, err)
	}
	if got := listKeys(t, s, prefix); !slices.Equal(got, []string{other}) {
		t.Errorf("List(%q) after Delete = %q, want [%q]", prefix, got, other)
	}
	if err := s.Delete(ctx, prefix+"never/existed"); err != nil {
		t.Errorf("Delete of a missing key: got %v, want nil", err)
	}
}

func testMissing(t *testing.T, s storage.Storage, prefix string) {
	ctx := t.Context()
	put(t, s, prefix+"dir/obj", "x")
	// "dir" is a prefix of an object, which makes it a directory for some
	// backends, but it is not an object.
	for _, key := range []string{prefix + "missing", prefix + "dir", prefix + "dir/obj/below"} {
		if rc, err := s.Open(ctx, key); !errors.Is(err, os.ErrNotExist) {
			if err == nil {
				rc.Close()
			}
			t.Errorf("Open(%q): got %v, want os.ErrNotExist", key, err)
		}
		if _, err := s.Stat(ctx, key); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Stat(%q): got %v, want os.ErrNotExist", key, err)
		}
	}
}

func testInvalidKey(t *testing.T, s storage.Storage, prefix string) {
	ctx := t.Context()
	keys := []string{"", "/abs", "../x", "a/../b", "..", "./a", "a//b", "a/", `a\b`, "a\x00b", "a\nb", "a\x7f"}
	for _, key := range keys {
		if _, err := s.Put(ctx, key, bytes.NewReader([]byte("x"))); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Put(%q): got %v, want ErrInvalidKey", key, err)
		}
		if rc, err := s.Open(ctx, key); !errors.Is(err, storage.ErrInvalidKey) {
			if err == nil {
				rc.Close()
			}
			t.Errorf("Open(%q): got %v, want ErrInvalidKey", key, err)
		}
		if _, err := s.Stat(ctx, key); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Stat(%q): got %v, want ErrInvalidKey", key, err)
		}
		if err := s.Delete(ctx, key); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Delete(%q): got %v, want ErrInvalidKey", key, err)
		}
	}
	for _, p := range []string{"/", "/abs/", "../", "a//", "a/../", "a\nb/"} {
		if _, err := s.List(ctx, p); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("List(%q): got %v, want ErrInvalidKey", p, err)
		}
	}
}

// errReader is what the failing reader fails with.
var errReader = errors.New("reader broke on purpose")

func testFailingReader(t *testing.T, s storage.Storage, prefix string) {
	for _, after := range []int64{0, 1000, 12 * MiB} {
		t.Run(fmt.Sprintf("after %d bytes", after), func(t *testing.T) {
			ctx := t.Context()
			dir := fmt.Sprintf("%sfail-%d/", prefix, after)
			key := dir + "dump"
			r := io.MultiReader(Random(1, after), iotest.ErrReader(errReader))
			if _, err := s.Put(ctx, key, r); !errors.Is(err, errReader) {
				t.Fatalf("Put(%q) from a failing reader: got %v, want %v", key, err, errReader)
			}
			assertAbsent(t, s, dir, key)

			// A failed replace leaves the old object as it was.
			put(t, s, key, "old")
			r = io.MultiReader(Random(1, after), iotest.ErrReader(errReader))
			if _, err := s.Put(ctx, key, r); !errors.Is(err, errReader) {
				t.Fatalf("replacing Put(%q) from a failing reader: got %v, want %v", key, err, errReader)
			}
			if got := read(t, s, key); got != "old" {
				t.Errorf("Open(%q) after a failed replace = %q, want %q", key, got, "old")
			}
		})
	}
}

func testCancelledPut(t *testing.T, s storage.Storage, prefix string) {
	for _, after := range []int64{0, 1000, 12 * MiB} {
		t.Run(fmt.Sprintf("after %d bytes", after), func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			dir := fmt.Sprintf("%scancel-%d/", prefix, after)
			key := dir + "dump"
			// The reader itself never fails: only the context stops the Put.
			r := &cancellingReader{r: Random(2, 30*MiB), after: after, cancel: cancel}
			if _, err := s.Put(ctx, key, r); !errors.Is(err, context.Canceled) {
				t.Fatalf("Put(%q) with a context cancelled mid-stream: got %v, want context.Canceled", key, err)
			}
			assertAbsent(t, s, dir, key)
		})
	}
}

func testPing(t *testing.T, s storage.Storage, _ string) {
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

// cancellingReader calls cancel once after bytes have been read, then carries on.
type cancellingReader struct {
	r      io.Reader
	after  int64
	read   int64
	cancel context.CancelFunc
}

func (c *cancellingReader) Read(p []byte) (int, error) {
	if c.read >= c.after {
		c.cancel()
	}
	if rest := c.after - c.read; rest > 0 && int64(len(p)) > rest {
		p = p[:rest] // stop exactly at the boundary
	}
	n, err := c.r.Read(p)
	c.read += int64(n)
	return n, err
}

// assertAbsent checks that key does not exist and nothing is listed under dir.
func assertAbsent(t *testing.T, s storage.Storage, dir, key string) {
	t.Helper()
	ctx := context.WithoutCancel(t.Context())
	if _, err := s.Stat(ctx, key); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Stat(%q) after failed Put: got %v, want os.ErrNotExist", key, err)
	}
	if got := listKeys(t, s, dir); len(got) != 0 {
		t.Errorf("List(%q) after failed Put = %q, want nothing", dir, got)
	}
}

// put stores content at key or fails the test.
func put(t *testing.T, s storage.Storage, key, content string) {
	t.Helper()
	n, err := s.Put(t.Context(), key, bytes.NewReader([]byte(content)))
	if err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
	if n != int64(len(content)) {
		t.Fatalf("Put(%q) stored %d bytes, want %d", key, n, len(content))
	}
}

// read returns the content of key or fails the test.
func read(t *testing.T, s storage.Storage, key string) string {
	t.Helper()
	rc, err := s.Open(t.Context(), key)
	if err != nil {
		t.Fatalf("Open(%q): %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return string(b)
}

// hashObject streams key through sha256.
func hashObject(t *testing.T, s storage.Storage, key string) [sha256.Size]byte {
	t.Helper()
	rc, err := s.Open(t.Context(), key)
	if err != nil {
		t.Fatalf("Open(%q): %v", key, err)
	}
	defer rc.Close()
	sum := hashReader(t, rc)
	if err := rc.Close(); err != nil {
		t.Errorf("Close(%q): %v", key, err)
	}
	return sum
}

func hashReader(t *testing.T, r io.Reader) [sha256.Size]byte {
	t.Helper()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		t.Fatalf("read: %v", err)
	}
	return [sha256.Size]byte(h.Sum(nil))
}

// listKeys returns the keys listed under prefix or fails the test.
func listKeys(t *testing.T, s storage.Storage, prefix string) []string {
	t.Helper()
	objs, err := s.List(context.WithoutCancel(t.Context()), prefix)
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return keysOf(objs)
}

func keysOf(objs []storage.Object) []string {
	keys := make([]string, 0, len(objs))
	for _, o := range objs {
		keys = append(keys, o.Key)
	}
	return keys
}
