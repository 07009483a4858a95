package dump

import (
	"io"
	"sync"
)

// readAhead decompresses on a goroutine of its own while the reader parses what
// came before: inflating a dump takes about as long as parsing it, and the two
// then run on two cores. It holds at most readAheadChunks chunks.
type readAhead struct {
	chunks chan chunk
	free   chan []byte
	stop   chan struct{}
	once   sync.Once
	cur    []byte
	held   []byte // the chunk cur points into, to hand back
	err    error
}

type chunk struct {
	b   []byte
	err error
}

const (
	readAheadChunks = 4
	readAheadSize   = 256 << 10
)

func newReadAhead(r io.Reader) *readAhead {
	ra := &readAhead{chunks: make(chan chunk, readAheadChunks), free: make(chan []byte, readAheadChunks+1), stop: make(chan struct{})}
	for range readAheadChunks + 1 {
		ra.free <- make([]byte, readAheadSize)
	}
	go ra.run(r)
	return ra
}

// run fills free chunks from r until r ends or fails, or the reader stops.
func (ra *readAhead) run(r io.Reader) {
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
			m, err = r.Read(b[n:])
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

// Read hands out what the goroutine read, in order, then its error.
func (ra *readAhead) Read(p []byte) (int, error) {
	for len(ra.cur) == 0 {
		if ra.held != nil {
			ra.free <- ra.held[:cap(ra.held)]
			ra.held = nil
		}
		if ra.err != nil {
			return 0, ra.err
		}
		c := <-ra.chunks
		ra.cur, ra.held, ra.err = c.b, c.b, c.err
	}
	n := copy(p, ra.cur)
	ra.cur = ra.cur[n:]
	return n, nil
}

// Close stops the goroutine; it ends once its current read returns.
func (ra *readAhead) Close() { ra.once.Do(func() { close(ra.stop) }) }
