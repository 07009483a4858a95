package transfer

import (
	"errors"
	"io"
	"sync"
)

// A copyPipe hands a table's COPY output from the goroutine that reads it off the
// connection to one that encodes it into the dump, so that PostgreSQL sends the
// next rows while the previous ones are turned into JSON, base64 and gzip: without
// it the server waits whenever the encoder is busy, and the two sides take turns
// on a machine that could run them at once.
//
// The data goes in batches of whole COPY messages (PostgreSQL sends one row per
// message), at most pipeBatches of pipeBatchBytes each in flight, so memory does
// not grow with the table. A message bigger than a batch (a large text value) is
// not copied: the pipe first waits until the encoder has done everything before
// it and then writes it on the caller's goroutine, as if there were no pipe.
type copyPipe struct {
	dst    io.Writer
	full   chan pipeItem
	closed bool
	free   chan []byte
	made   int    // batches allocated so far, at most pipeBatches
	cur    []byte // the batch being filled; nil until the next write
	done   chan struct{}

	mu  sync.Mutex
	err error // the first error dst returned; nothing is written after it
}

type pipeItem struct {
	b    []byte
	sync chan struct{} // set: no data, closed when everything before it is written
}

const (
	pipeBatchBytes = 256 << 10
	pipeBatches    = 3
)

// newCopyPipe starts the encoding goroutine; Close must be called.
func newCopyPipe(dst io.Writer) *copyPipe {
	p := &copyPipe{dst: dst, full: make(chan pipeItem, pipeBatches), free: make(chan []byte, pipeBatches), done: make(chan struct{})}
	go p.run(p.full)
	return p
}

// run is the encoding goroutine. It takes its channel as an argument, not from
// the struct, because it may first run after Close has already closed it.
func (p *copyPipe) run(full <-chan pipeItem) {
	defer close(p.done)
	for it := range full {
		if it.sync != nil {
			close(it.sync)
			continue
		}
		if p.error() == nil {
			if _, err := p.dst.Write(it.b); err != nil {
				p.fail(err)
			}
		}
		p.free <- it.b[:0]
	}
}

func (p *copyPipe) error() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (p *copyPipe) fail(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		p.err = err
	}
}

// Write queues b, or writes it itself when it is larger than a batch. It
// returns the encoder's error once there is one, so the COPY stops.
func (p *copyPipe) Write(b []byte) (int, error) {
	if err := p.error(); err != nil {
		return 0, err
	}
	if len(b) > pipeBatchBytes {
		p.flush()
		wait := make(chan struct{})
		p.full <- pipeItem{sync: wait}
		<-wait
		if err := p.error(); err != nil {
			return 0, err
		}
		n, err := p.dst.Write(b)
		if err != nil {
			p.fail(err)
		}
		return n, err
	}
	if len(p.cur)+len(b) > pipeBatchBytes {
		p.flush()
	}
	if p.cur == nil {
		p.cur = p.take()
	}
	p.cur = append(p.cur, b...)
	return len(b), nil
}

// flush hands the current batch to the encoder.
func (p *copyPipe) flush() {
	if len(p.cur) == 0 {
		return
	}
	p.full <- pipeItem{b: p.cur}
	p.cur = nil
}

// take returns a free batch: one the encoder is done with, a new one while fewer
// than pipeBatches exist (a short table never needs them all), or else the next
// one the encoder frees.
func (p *copyPipe) take() []byte {
	select {
	case b := <-p.free:
		return b
	default:
	}
	if p.made < pipeBatches {
		p.made++
		return make([]byte, 0, pipeBatchBytes)
	}
	return <-p.free
}

// Close writes what is queued, stops the encoder and returns its error.
func (p *copyPipe) Close() error {
	if p.closed {
		return errors.New("copy pipe closed twice")
	}
	p.closed = true
	p.flush()
	close(p.full)
	<-p.done
	return p.error()
}
