package transfer

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"
)

// recorder is a slow writer that records what it got and on which calls.
type recorder struct {
	got    bytes.Buffer
	calls  int
	active atomic.Int32 // writes running at once
	failAt int          // fail the call with this number (1-based); 0 never
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.active.Add(1) != 1 {
		panic("two writes at once")
	}
	defer r.active.Add(-1)
	r.calls++
	if r.calls == r.failAt {
		return 0, errors.New("disk full")
	}
	if r.calls%7 == 0 {
		time.Sleep(time.Millisecond)
	}
	return r.got.Write(b)
}

// TestCopyPipeKeepsOrder feeds messages of every size, from empty to several
// batches, and checks the writer gets exactly the same bytes in the same order,
// one write at a time.
func TestCopyPipeKeepsOrder(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	var want bytes.Buffer
	rec := &recorder{}
	p := newCopyPipe(rec)
	src := make([]byte, 4*pipeBatchBytes)
	for i := range src {
		src[i] = byte(rng.Uint32())
	}
	msg := make([]byte, 3*pipeBatchBytes)
	for i := range 400 {
		var n int
		switch rng.IntN(20) {
		case 0:
			n = pipeBatchBytes + rng.IntN(2*pipeBatchBytes) // written on the caller's goroutine
		case 1:
			n = pipeBatchBytes - rng.IntN(3) // exactly a batch, or just under
		default:
			n = rng.IntN(300)
		}
		off := rng.IntN(len(src) - n)
		copy(msg, src[off:off+n])
		want.Write(msg[:n])
		if k, err := p.Write(msg[:n]); err != nil || k != n {
			t.Fatalf("write %d: %d, %v", i, k, err)
		}
		msg[0]++ // the pipe must have copied what it kept
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rec.got.Bytes(), want.Bytes()) {
		t.Fatalf("got %d bytes, want %d, or in another order", rec.got.Len(), want.Len())
	}
	if rec.calls >= 200 {
		t.Errorf("%d writes for 400 messages: small messages were not batched", rec.calls)
	}
	if err := p.Close(); err == nil {
		t.Error("second Close succeeded")
	}
}

// TestCopyPipeStopsAtError checks that the writer's error reaches the COPY
// (so it stops reading) and Close, and nothing is written after it.
func TestCopyPipeStopsAtError(t *testing.T) {
	t.Parallel()
	for _, big := range []bool{false, true} {
		rec := &recorder{failAt: 3}
		p := newCopyPipe(rec)
		msg := make([]byte, 1000)
		if big {
			msg = make([]byte, pipeBatchBytes+1)
		}
		var err error
		for i := 0; i < 100000 && err == nil; i++ {
			_, err = p.Write(msg)
		}
		if err == nil || err.Error() != "disk full" {
			t.Fatalf("big=%v: Write: %v, want disk full", big, err)
		}
		if cerr := p.Close(); cerr == nil || cerr.Error() != "disk full" {
			t.Fatalf("big=%v: Close: %v, want disk full", big, cerr)
		}
		if rec.calls != 3 {
			t.Errorf("big=%v: %d writes, want none after the failed third", big, rec.calls)
		}
	}
}

// TestCopyPipeShortTable closes pipes right after a write or two, as for a
// table of a few rows, before their encoder may have started: every one must
// finish and have written its bytes.
func TestCopyPipeShortTable(t *testing.T) {
	t.Parallel()
	done := make(chan error, 1)
	go func() {
		for i := range 2000 {
			rec := &recorder{}
			p := newCopyPipe(rec)
			if i%2 == 0 {
				_, _ = p.Write([]byte("row\n"))
			}
			if err := p.Close(); err != nil {
				done <- err
				return
			}
			if want := 4 * ((i + 1) % 2); rec.got.Len() != want {
				done <- fmt.Errorf("pipe %d wrote %d bytes, want %d", i, rec.got.Len(), want)
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("a pipe closed early never finished")
	}
}
