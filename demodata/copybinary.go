package demodata

import (
	"encoding/binary"
	"math/rand/v2"
)

// COPY's binary format
// (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4): a
// header, then per row a field count and length-prefixed values in each type's
// binary send format, then a trailer.

// pgEpochMicros is 2000-01-01 00:00:00 UTC, the origin of binary timestamps, in
// µs since the Unix epoch.
const pgEpochMicros = 946684800 * microsPerSecond

func (rw *rowWriter) binaryHeader() {
	rw.buf = append(rw.buf, "PGCOPY\n\xff\r\n\x00"...)
	rw.buf = binary.BigEndian.AppendUint32(rw.buf, 0) // flags
	rw.buf = binary.BigEndian.AppendUint32(rw.buf, 0) // header extension length
}

func (rw *rowWriter) binaryTrailer() { rw.buf = binary.BigEndian.AppendUint16(rw.buf, 0xffff) }

func (rw *rowWriter) binaryRow(fields int) {
	rw.buf = binary.BigEndian.AppendUint16(rw.buf, uint16(fields))
}

func (rw *rowWriter) binaryNull() { rw.buf = binary.BigEndian.AppendUint32(rw.buf, 0xffffffff) }

func (rw *rowWriter) binaryInt8(v int64) {
	rw.buf = binary.BigEndian.AppendUint32(rw.buf, 8)
	rw.buf = binary.BigEndian.AppendUint64(rw.buf, uint64(v))
}

// binaryTimestamp writes a timestamptz given as µs since the Unix epoch.
func (rw *rowWriter) binaryTimestamp(us int64) { rw.binaryInt8(us - pgEpochMicros) }

func (rw *rowWriter) binaryTimestampOrNull(us int64) {
	nullIfZero(us, rw.binaryNull, rw.binaryTimestamp)
}

func (rw *rowWriter) binaryText(s string) {
	rw.buf = binary.BigEndian.AppendUint32(rw.buf, uint32(len(s)))
	rw.buf = append(rw.buf, s...)
}

// binaryRandom writes a bytea of n bytes: magic, then random bytes. Large values
// are flushed as they are written, so memory stays flat whatever their size.
func (rw *rowWriter) binaryRandom(magic string, n int, src *rand.PCG) error {
	rw.buf = binary.BigEndian.AppendUint32(rw.buf, uint32(n))
	m := min(len(magic), n)
	rw.buf = append(rw.buf, magic[:m]...)
	for left := n - m; left > 0; {
		c := min(left, flushSize)
		start := len(rw.buf)
		rw.buf = append(rw.buf, make([]byte, c)...)
		dst := rw.buf[start:]
		i := 0
		for ; i+8 <= c; i += 8 {
			binary.LittleEndian.PutUint64(dst[i:], src.Uint64())
		}
		for u := src.Uint64(); i < c; i++ {
			dst[i] = byte(u)
			u >>= 8
		}
		left -= c
		if len(rw.buf) >= flushSize {
			if err := rw.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (rw *rowWriter) endBinaryRow() error {
	rw.rows++
	if len(rw.buf) >= flushSize {
		return rw.flush()
	}
	return nil
}
