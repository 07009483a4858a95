// Package readahead reads an io.Reader on a goroutine of its own, ahead of the
// one that consumes it, so that the work behind the reads (inflating a dump,
// anonymizing and encoding rows) runs on one core while the consumer's (parsing,
// sending to PostgreSQL) runs on another. At most a fixed number of chunks are
// read ahead: memory does not grow with the stream.
package readahead

import (
	"errors"
	"io"
	"sync"
)

// ErrStopped is what Read returns once the reader is stopped.
var ErrStopped = errors.New("readahead: stopped")

// A Reader hands out, in order, what its goroutine read from the source, then
// the source's error.
type Reader struct {
	chunks chan chunk
	free   chan []byte
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
	cur    []byte
	held   []byte // the chunk cur points into, to hand back
	err    error
}

type chunk struct {
	b   []byte
	err error
}

// New starts reading src on a goroutine into chunks of size bytes, at most
// chunks of them ahead of the consumer. Close or Stop must be called.
func New(src io.Reader, chunks, size int) *Reader {
	ra := &Reader{chunks: make(chan chunk, chunks), free: make(chan []byte, chunks+1),
		stop: make(chan struct{}), done: make(chan struct{})}
	for range chunks + 1 {
		ra.free <- make([]byte, size)
	}
	go ra.run(src)
	return ra
}

// run fills free chunks from src until it ends or fails, or the reader stops.
func (ra *Reader) run(src io.Reader) {
	defer close(ra.done)
	for {
		var b []byte
		select {
		case b = <-ra.free:
		case <-ra.stop:
			return
		}
		n, err := 0, error(nil)
		for n < len(b) && err == nil {
			var m int
			m, err = src.Read(b[n:])
			n += m
		}
		select {
		case ra.chunks <- chunk{b: b[:n], err: err}:
		case <-ra.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

// Read hands out what the goroutine read, in order, then its error; once the
// reader is stopped, ErrStopped (what was read and not handed out is dropped).
func (ra *Reader) Read(p []byte) (int, error) {
	select {
	case <-ra.stop:
		return 0, ErrStopped
	default:
	}
	for len(ra.cur) == 0 {
		if ra.held != nil {
			ra.free <- ra.held[:cap(ra.held)]
			ra.held = nil
		}
		if ra.err != nil {
			return 0, ra.err
		}
		select {
		case c := <-ra.chunks:
			ra.cur, ra.held, ra.err = c.b, c.b, c.err
		case <-ra.stop:
			return 0, ErrStopped
		}
	}
	n := copy(p, ra.cur)
	ra.cur = ra.cur[n:]
	return n, nil
}

// Close stops the goroutine without waiting: it ends once its current read of the
// source returns. It suits a source that may block (a network read) and that the
// caller closes next, which ends that read.
func (ra *Reader) Close() { ra.once.Do(func() { close(ra.stop) }) }

// Stop stops the goroutine and waits until it has ended: after it, the source is
// read no more, and the caller may use it again.
func (ra *Reader) Stop() {
	ra.Close()
	<-ra.done
}
