package dump

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"runtime"
	"sync"

	"github.com/klauspost/compress/flate"
)

// A gzipWriter compresses on several goroutines at once, off the goroutine that
// encodes the dump. Its input is cut into blocks; each is deflated on its own,
// with the 32 KiB of input before it as its dictionary, and ends with a sync
// flush (an empty stored block that ends on a byte boundary), so that the
// compressed blocks written one after another in input order are one deflate
// stream. The last block is ended as the stream's final one. Around them go
// the gzip header and the trailer, the CRC-32 and length of the whole input,
// counted as the input arrives. The result is one ordinary gzip member, which
// every gzip reader reads, and hardly bigger than one compressor's: every block
// but the first finds its matches in the window before it as well.
//
// At most 2×compressors blocks are in flight, so memory does not grow with
// the dump.
type gzipWriter struct {
	out    io.Writer
	level  int
	cur    *gzipBlock // the block being filled; nil until the next write
	window []byte     // the last input before cur's, at most gzipWindowBytes: its dictionary
	crc    uint32
	size   uint32 // the input's length modulo 2^32, as the trailer has it

	queue chan *gzipBlock // blocks in input order, to the writing goroutine
	work  chan *gzipBlock // blocks to compress, to the compressors
	free  chan *gzipBlock // blocks written, to be filled again
	wg    sync.WaitGroup  // the compressors and the writing goroutine

	mu     sync.Mutex
	err    error // the first error out returned; nothing is written after it
	closed bool
}

// gzipBlock is one block of input and, once done is closed, its deflate output.
type gzipBlock struct {
	in, dict []byte
	last     bool
	out      bytes.Buffer
	err      error
	done     chan struct{}
}

const (
	gzipBlockBytes  = 256 << 10
	gzipWindowBytes = 32 << 10
	// maxCompressors bounds the compressing goroutines on a big machine: one
	// encoding goroutine feeds them all, and each holds a deflater and up to
	// two blocks, so that more would add memory, not speed.
	maxCompressors = 4
)

// newGzipWriter writes the gzip header to out and starts compressors goroutines
// (GOMAXPROCS, at most maxCompressors, when compressors < 1) and one that writes
// their output in order.
func newGzipWriter(out io.Writer, level, compressors int) (*gzipWriter, error) {
	if level < flate.HuffmanOnly || level > flate.BestCompression {
		return nil, errors.New("gzip: invalid compression level")
	}
	if compressors < 1 {
		compressors = min(runtime.GOMAXPROCS(0), maxCompressors)
	}
	inFlight := 2 * compressors
	z := &gzipWriter{out: out, level: level,
		queue: make(chan *gzipBlock, inFlight), work: make(chan *gzipBlock, inFlight), free: make(chan *gzipBlock, inFlight+1)}
	// ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL OS=unknown, as RFC 1952 has it.
	hdr := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255}
	switch level {
	case flate.BestSpeed:
		hdr[8] = 4
	case flate.BestCompression:
		hdr[8] = 2
	}
	if _, err := out.Write(hdr); err != nil {
		return nil, err
	}
	for range compressors {
		z.wg.Go(z.compress)
	}
	z.wg.Go(z.write)
	return z, nil
}

// compress is a compressor goroutine.
func (z *gzipWriter) compress() {
	fw, _ := flate.NewWriter(io.Discard, z.level) // the level is checked
	for b := range z.work {
		fw.ResetDict(&b.out, b.dict)
		_, b.err = fw.Write(b.in)
		if b.err == nil {
			if b.last {
				b.err = fw.Close()
			} else {
				b.err = fw.Flush()
			}
		}
		close(b.done)
	}
}

// write is the goroutine that writes the blocks' output in input order.
func (z *gzipWriter) write() {
	for b := range z.queue {
		<-b.done
		if z.error() == nil {
			if b.err != nil {
				z.fail(b.err)
			} else if _, err := z.out.Write(b.out.Bytes()); err != nil {
				z.fail(err)
			}
		}
		select {
		case z.free <- b:
		default:
		}
	}
}

func (z *gzipWriter) error() error {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.err
}

func (z *gzipWriter) fail(err error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.err == nil {
		z.err = err
	}
}

// Write takes p into the current block, handing every full one to the
// compressors. It returns the error of an earlier write to out, if any.
func (z *gzipWriter) Write(p []byte) (int, error) {
	if z.closed {
		return 0, errors.New("gzip: write after close")
	}
	if err := z.error(); err != nil {
		return 0, err
	}
	n := len(p)
	z.crc = crc32.Update(z.crc, crc32.IEEETable, p)
	z.size += uint32(n)
	for len(p) > 0 {
		if z.cur == nil {
			z.cur = z.take()
		}
		k := min(len(p), gzipBlockBytes-len(z.cur.in))
		z.cur.in = append(z.cur.in, p[:k]...)
		p = p[k:]
		if len(z.cur.in) == gzipBlockBytes {
			z.dispatch(false)
		}
	}
	return n, nil
}

// take returns an empty block: one already written, or a new one.
func (z *gzipWriter) take() *gzipBlock {
	var b *gzipBlock
	select {
	case b = <-z.free:
		b.in, b.dict, b.err, b.last = b.in[:0], b.dict[:0], nil, false
		b.out.Reset()
	default:
		b = &gzipBlock{in: make([]byte, 0, gzipBlockBytes)}
	}
	b.done = make(chan struct{})
	return b
}

// dispatch hands the current block to the compressors and the writing goroutine.
func (z *gzipWriter) dispatch(last bool) {
	b := z.cur
	z.cur = nil
	b.last = last
	// The dictionaries are copies: a block's input is reused once it is written,
	// which may be before the next one is compressed.
	b.dict = append(b.dict, z.window...)
	z.window = append(z.window[:0], b.in[max(0, len(b.in)-gzipWindowBytes):]...)
	z.queue <- b // first: the writing goroutine waits for the blocks in this order
	z.work <- b
}

// Close compresses what is left as the final block, waits until everything is
// written and writes the trailer. It does not close out.
func (z *gzipWriter) Close() error {
	if z.closed {
		return z.error()
	}
	if z.cur == nil {
		z.cur = z.take()
	}
	z.dispatch(true)
	z.stop()
	if err := z.error(); err != nil {
		return err
	}
	var tr [8]byte
	binary.LittleEndian.PutUint32(tr[:4], z.crc)
	binary.LittleEndian.PutUint32(tr[4:], z.size)
	if _, err := z.out.Write(tr[:]); err != nil {
		return err
	}
	return nil
}

// Abort stops the goroutines without finishing the stream: for a dump given up
// half way. Blocks still queued are compressed but not written.
func (z *gzipWriter) Abort() {
	if z.closed {
		return
	}
	z.fail(errors.New("gzip: aborted"))
	z.stop()
}

func (z *gzipWriter) stop() {
	z.closed = true
	close(z.queue)
	close(z.work)
	z.wg.Wait()
}
