package s3_test

import (
	"io"
	"runtime"
	"testing"

	"github.com/wippidu/wippidu/internal/s3test"
	"github.com/wippidu/wippidu/storage/s3"
	"github.com/wippidu/wippidu/storage/storagetest"
)

// TestMemoryBounded streams an object much larger than the memory Put and Open
// may use, and checks what they allocated in all: whole-object buffering would
// allocate at least the object's size.
func TestMemoryBounded(t *testing.T) {
	srv := s3test.Start(t)
	ctx := t.Context()
	const (
		size  = 200 * storagetest.MiB
		limit = 64 * storagetest.MiB // (Concurrency+1) parts of 5 MiB, plus the SDK's own
	)
	store := newStore(t, srv, srv.Endpoint, func(c *s3.Config) { c.Concurrency = 2 })

	allocated := func(do func()) uint64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		do()
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	put := allocated(func() {
		if _, err := store.Put(ctx, "huge", storagetest.Random(3, size)); err != nil {
			t.Fatalf("Put: %v", err)
		}
	})
	get := allocated(func() {
		rc, err := store.Open(ctx, "huge")
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer rc.Close()
		if n, err := io.Copy(io.Discard, rc); err != nil || n != size {
			t.Fatalf("read %d bytes, %v; want %d", n, err, size)
		}
	})
	t.Logf("a %d MiB object: Put allocated %d MiB, Open and read %d MiB", size>>20, put>>20, get>>20)
	if put > limit {
		t.Errorf("Put of %d MiB allocated %d MiB, want at most %d MiB", size>>20, put>>20, limit>>20)
	}
	if get > limit {
		t.Errorf("reading %d MiB allocated %d MiB, want at most %d MiB", size>>20, get>>20, limit>>20)
	}
}
