package readahead

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"
)

// The consumer gets the source's bytes in order, whatever sizes either side reads.
func TestReadsInOrder(t *testing.T) {
	t.Parallel()
	in := make([]byte, 3<<20+12345)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range in {
		in[i] = byte(r.Uint32())
	}
	for _, size := range []int{1000, 64 << 10} {
		ra := New(iotest.HalfReader(bytes.NewReader(in)), 3, size)
		out, err := io.ReadAll(iotest.OneByteReader(io.LimitReader(ra, 1000)))
		if err != nil {
			t.Fatal(err)
		}
		rest, err := io.ReadAll(ra)
		if err != nil {
			t.Fatal(err)
		}
		if out = append(out, rest...); !bytes.Equal(out, in) {
			t.Fatalf("chunks of %d: read %d bytes, not the %d of the source in order", size, len(out), len(in))
		}
		ra.Stop()
	}
}

// The source's error comes after everything read before it, and stays.
func TestSourceErrorComesLast(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	ra := New(io.MultiReader(bytes.NewReader([]byte("abc")), iotest.ErrReader(boom)), 2, 16)
	defer ra.Stop()
	got, err := io.ReadAll(ra)
	if string(got) != "abc" || !errors.Is(err, boom) {
		t.Fatalf("read %q, %v; want \"abc\", boom", got, err)
	}
	if n, err := ra.Read(make([]byte, 4)); n != 0 || !errors.Is(err, boom) {
		t.Fatalf("read again: %d, %v; want 0, boom", n, err)
	}
}

// countingSource is an endless source that counts the bytes read from it and
// can be made to wait inside Read.
type countingSource struct {
	n       atomic.Int64
	gate    chan struct{} // when set, Read says so on entered and waits on it
	entered chan struct{}
}

func (s *countingSource) Read(p []byte) (int, error) {
	if s.gate != nil {
		select {
		case s.entered <- struct{}{}:
		default:
		}
		<-s.gate
	}
	s.n.Add(int64(len(p)))
	return len(p), nil
}

// While the consumer does not read, the goroutine reads ahead, and stops after
// the chunks it may hold: memory is bounded.
func TestReadsAheadBoundedly(t *testing.T) {
	t.Parallel()
	src := &countingSource{}
	const chunks, size = 3, 1000
	ra := New(src, chunks, size)
	defer ra.Stop()
	if _, err := ra.Read(make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	// One chunk is being consumed and chunks wait in the channel: then the
	// goroutine has no buffer left to fill.
	const most = (chunks + 1) * size
	deadline := time.Now().Add(time.Minute)
	for src.n.Load() < most && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if n := src.n.Load(); n != most {
		t.Fatalf("read %d bytes ahead of a consumer that took 1, want %d", n, most)
	}
}

// Stop waits for the read under way and ends the goroutine: after it, the
// source is the caller's alone. A Read after Stop does not block.
func TestStopWaitsForTheReadUnderWay(t *testing.T) {
	t.Parallel()
	src := &countingSource{gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	ra := New(src, 2, 100)
	<-src.entered
	stopped := make(chan struct{})
	go func() { ra.Stop(); close(stopped) }()
	select {
	case <-stopped:
		t.Fatal("Stop returned while the source was still being read")
	case <-time.After(50 * time.Millisecond):
	}
	close(src.gate)
	<-stopped
	n := src.n.Load()
	time.Sleep(20 * time.Millisecond)
	if src.n.Load() != n {
		t.Fatal("the source was read after Stop returned")
	}
	if _, err := ra.Read(make([]byte, 1)); !errors.Is(err, ErrStopped) {
		t.Fatalf("Read after Stop: %v, want ErrStopped", err)
	}
	select {
	case <-ra.done:
	default:
		t.Fatal("the goroutine runs on after Stop returned")
	}
}
