package baddump

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"hash/crc32"
	"io"
	"strconv"

	kgzip "github.com/klauspost/compress/gzip"
)

// gz compresses b the same way every time (standard library, default level, no
// name or time in the header), so that the corpus files are reproducible.
func gz(b []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return out.Bytes()
}

// newGzipReader is the decompressor the dump reader uses, so that the generator
// predicts what the reader sees.
func newGzipReader(r io.Reader) (io.ReadCloser, error) { return kgzip.NewReader(r) }

// gzipHeader is a minimal gzip member header: deflate, no flags, no time, unknown OS.
var gzipHeader = []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}

// repeatStream returns a factory for a gzip file holding prefix, then n bytes of fill
// (rounded up to a whole MiB), then suffix — without ever holding the n bytes. One
// MiB of fill is compressed once (about 1 kB of deflate), and that block is sent
// again and again: deflate blocks only refer back to the last 32 KiB of output,
// which is fill too. The gzip trailer is exact, so a reader that went all the way
// would find a valid file.
func repeatStream(prefix []byte, fill byte, n int64, suffix []byte) func() io.Reader {
	const chunk = 1 << 20
	const lead = 64 << 10 // fill before the repeated block, so its window is fill only
	reps := max((n-lead+chunk-1)/chunk, 1)
	total := lead + reps*chunk

	var head, block bytes.Buffer
	head.Write(gzipHeader)
	fw, _ := flate.NewWriter(&head, flate.BestCompression)
	fw.Write(prefix)
	fw.Write(bytes.Repeat([]byte{fill}, lead))
	fw.Flush()
	mark := head.Len()
	fw.Write(bytes.Repeat([]byte{fill}, chunk))
	fw.Flush()
	block.Write(head.Bytes()[mark:])
	head.Truncate(mark)

	var tail bytes.Buffer
	tail.Write(storedBlocks(suffix))
	crcFill := crcRepeat(crc32.ChecksumIEEE(bytes.Repeat([]byte{fill}, chunk)), chunk, reps)
	crcFill = crc32Combine(crc32.ChecksumIEEE(bytes.Repeat([]byte{fill}, lead)), crcFill, reps*chunk)
	crc := crc32Combine(crc32.ChecksumIEEE(prefix), crcFill, total)
	crc = crc32Combine(crc, crc32.ChecksumIEEE(suffix), int64(len(suffix)))
	var trailer [8]byte
	binary.LittleEndian.PutUint32(trailer[:4], crc)
	binary.LittleEndian.PutUint32(trailer[4:], uint32(int64(len(prefix))+total+int64(len(suffix))))
	tail.Write(trailer[:])

	h, b, t := head.Bytes(), block.Bytes(), tail.Bytes()
	return func() io.Reader {
		return &repeatReader{head: h, block: b, reps: reps, tail: t}
	}
}

// storedBlocks encodes b as final stored (uncompressed) deflate blocks.
func storedBlocks(b []byte) []byte {
	var out []byte
	for {
		n := min(len(b), 0xffff)
		final := byte(0)
		if n == len(b) {
			final = 1
		}
		out = append(out, final, byte(n), byte(n>>8), ^byte(n), ^byte(n>>8))
		out = append(out, b[:n]...)
		b = b[n:]
		if final == 1 {
			return out
		}
	}
}

type repeatReader struct {
	head, block, tail []byte
	reps, sent        int64
	off               int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	var src []byte
	switch {
	case len(r.head) > 0:
		src = r.head
	case r.sent < r.reps:
		src = r.block[r.off:]
	case len(r.tail) > 0:
		src = r.tail
	default:
		return 0, io.EOF
	}
	n := copy(p, src)
	switch {
	case len(r.head) > 0:
		r.head = r.head[n:]
	case r.sent < r.reps:
		if r.off += n; r.off == len(r.block) {
			r.off = 0
			r.sent++
		}
	default:
		r.tail = r.tail[n:]
	}
	return n, nil
}

// crcRepeat returns the CRC-32 of reps copies of a block of n bytes whose CRC is crc.
func crcRepeat(crc uint32, n, reps int64) uint32 {
	var out uint32
	for reps > 0 {
		if reps&1 == 1 {
			out = crc32Combine(out, crc, n)
		}
		crc = crc32Combine(crc, crc, n)
		n *= 2
		reps >>= 1
	}
	return out
}

// crc32Combine returns the CRC-32 of A followed by B from their CRCs and B's length
// (zlib's crc32_combine).
func crc32Combine(crc1, crc2 uint32, len2 int64) uint32 {
	if len2 <= 0 {
		return crc1
	}
	var even, odd [32]uint32
	odd[0] = 0xedb88320
	row := uint32(1)
	for n := 1; n < 32; n++ {
		odd[n] = row
		row <<= 1
	}
	gf2Square(&even, &odd)
	gf2Square(&odd, &even)
	for {
		gf2Square(&even, &odd)
		if len2&1 != 0 {
			crc1 = gf2Times(&even, crc1)
		}
		if len2 >>= 1; len2 == 0 {
			break
		}
		gf2Square(&odd, &even)
		if len2&1 != 0 {
			crc1 = gf2Times(&odd, crc1)
		}
		if len2 >>= 1; len2 == 0 {
			break
		}
	}
	return crc1 ^ crc2
}

func gf2Times(mat *[32]uint32, vec uint32) uint32 {
	var sum uint32
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
	}
	return sum
}

func gf2Square(square, mat *[32]uint32) {
	for n := range 32 {
		square[n] = gf2Times(mat, mat[n])
	}
}

// manyTables returns a factory for a gzip file whose tables array holds n tiny
// tables, compressed as it is read.
func manyTables(header []byte, n int) func() io.Reader {
	return func() io.Reader { return &tablesReader{header: header, n: n} }
}

type tablesReader struct {
	header []byte
	n, i   int
	buf    bytes.Buffer
	zw     *gzip.Writer
	done   bool
}

func (r *tablesReader) Read(p []byte) (int, error) {
	for r.buf.Len() == 0 && !r.done {
		if r.zw == nil {
			r.zw, _ = gzip.NewWriterLevel(&r.buf, gzip.BestSpeed)
			r.zw.Write(r.header)
		}
		var b []byte
		for end := min(r.i+4096, r.n); r.i < end; r.i++ {
			if r.i > 0 {
				b = append(b, ",\n"...)
			}
			b = append(b, `{"name":"t`...)
			b = strconv.AppendInt(b, int64(r.i+1), 10)
			b = append(b, `","columns":[],"rows":[]}`...)
		}
		r.zw.Write(b)
		if r.i == r.n {
			r.zw.Write([]byte("\n]}\n"))
			r.zw.Close()
			r.done = true
		} else {
			r.zw.Flush()
		}
	}
	if r.buf.Len() == 0 {
		return 0, io.EOF
	}
	return r.buf.Read(p)
}
