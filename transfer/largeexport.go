package transfer

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/wippidu/wippidu/dump"
	"github.com/wippidu/wippidu/schema"
)

// A bytea value over exportLimits.largeValue is left out of its binary COPY row
// (dump.BinaryExportSelect) and read here, a chunk at a time, so that the
// export's memory does not grow with the largest attachment. The chunks are read
// on a connection of their own: the ones reading the table are inside their
// COPY while the value is needed, and the server just waits until the COPY is
// read on. That connection imports the export's snapshot (shared.go), so it
// sees exactly the rows the COPY sends. Tables exported in COPY text format (no bytea column, or a column type
// binary COPY is not used for) still get every value whole inside its row.

// exportLimits are the sizes at which an export reads a table in parts and a
// value in chunks, with counts of both. Every export has its own, so that tests
// can lower them for one export only (export_test.go).
type exportLimits struct {
	// split is the size (pg_table_size: the table with its TOAST) from which an
	// export on several connections reads a table in parts: below it, starting
	// the parts costs more than it saves.
	split int64
	// largeValue is the size over which a value is fetched in chunks.
	largeValue int64
	// largeChunk is how much of a value one query reads: a multiple of 3, so
	// that every chunk is whole base64 groups in the dump, and large enough that
	// a 64 MiB value takes a couple of dozen queries. pgconn receives each chunk
	// into a pooled buffer that the next chunk reuses.
	largeChunk int64

	parts  atomic.Int64 // COPYs of parts run
	chunks atomic.Int64 // chunk queries run
}

func defaultLimits() *exportLimits {
	return &exportLimits{split: 16 << 20, largeValue: dump.LargeValueBytes, largeChunk: 3 << 20}
}

// largeValues reads the large values of one export.
type largeValues struct {
	shared *sharedSnapshot
	limits *exportLimits
	conn   *pgx.Conn // opened at the first large value
}

// Binary parameters and results of a chunk query: the ctid as tid, the start and
// length of the chunk as int4; the chunk as raw bytes, the value's length as int4.
var (
	chunkParamOIDs    = []uint32{pgtype.TIDOID, pgtype.Int4OID, pgtype.Int4OID}
	chunkParamFormats = []int16{pgtype.BinaryFormatCode, pgtype.BinaryFormatCode, pgtype.BinaryFormatCode}
	chunkResults      = []int16{pgtype.BinaryFormatCode, pgtype.BinaryFormatCode}
)

// errRowChanged says a large value is not what its COPY row said. Under the
// export's snapshot this cannot happen; if it does, the dump would be wrong.
var errRowChanged = errors.New("the row changed under the export's snapshot")

func catalogHasBytea(cat *schema.Catalog) bool {
	for _, t := range cat.Tables {
		for _, c := range t.Columns {
			if dump.KindOf(c.Type) == dump.KindBytea {
				return true
			}
		}
	}
	return false
}

// open returns the connection for large values, opening it the first time.
func (l *largeValues) open(ctx context.Context) (*pgconn.PgConn, error) {
	if l.conn == nil {
		conn, err := l.shared.join(ctx, "large values")
		if err != nil {
			return nil, err
		}
		l.conn = conn
	}
	return l.conn.PgConn(), nil
}

// close ends the connection for large values, if it was opened; its transaction only read.
func (l *largeValues) close(ctx context.Context) {
	if l != nil && l.conn != nil {
		_ = l.conn.Close(context.WithoutCancel(ctx))
		l.conn = nil
	}
}

// fetch returns the dump.FetchFunc for a table exported with cols.
func (l *largeValues) fetch(ctx context.Context, table string, cols []dump.Column) dump.FetchFunc {
	return func(ctid []byte, col int, n int64, emit func([]byte) error) error {
		pc, err := l.open(ctx)
		if err != nil {
			return err
		}
		c := pgx.Identifier{cols[col].Name}.Sanitize()
		sql := "SELECT substring(" + c + " FROM $2 FOR $3), octet_length(" + c + ") FROM " +
			pgx.Identifier{table}.Sanitize() + " WHERE ctid = $1"
		var from, size [4]byte
		params := [][]byte{ctid, from[:], size[:]}
		for off := int64(0); off < n; {
			want := min(l.limits.largeChunk, n-off)
			binary.BigEndian.PutUint32(from[:], uint32(off+1)) // substring counts from 1
			binary.BigEndian.PutUint32(size[:], uint32(want))
			got, err := l.chunk(ctx, pc, sql, params, n, emit)
			if err != nil {
				return fmt.Errorf("bytes %d to %d of column %q: %w", off, off+want, cols[col].Name, err)
			}
			if got < want {
				return nil // the writer reports the value as short
			}
			off += got
		}
		return nil
	}
}

// chunk runs one chunk query and hands the chunk to emit straight from pgconn's
// buffer; it returns the chunk's length.
func (l *largeValues) chunk(ctx context.Context, pc *pgconn.PgConn, sql string, params [][]byte, n int64, emit func([]byte) error) (int64, error) {
	l.limits.chunks.Add(1)
	rr := pc.ExecParams(ctx, sql, params, chunkParamOIDs, chunkParamFormats, chunkResults)
	var got int64
	var err error
	rows := 0
	for rr.NextRow() {
		rows++
		v := rr.Values()
		switch {
		case err != nil: // read the rest, so the connection stays usable
		case rows > 1:
			err = fmt.Errorf("more than one row at this ctid (a table with inheritance children?)")
		case len(v) != 2 || v[0] == nil || len(v[1]) != 4:
			err = fmt.Errorf("the value is NULL now: %w", errRowChanged)
		case int64(int32(binary.BigEndian.Uint32(v[1]))) != n:
			err = fmt.Errorf("the value is %d bytes now, not %d: %w", int32(binary.BigEndian.Uint32(v[1])), n, errRowChanged)
		default:
			got = int64(len(v[0]))
			err = emit(v[0])
		}
	}
	if _, cerr := rr.Close(); cerr != nil {
		return 0, cerr
	}
	if err == nil && rows == 0 {
		err = fmt.Errorf("the row is gone: %w", errRowChanged)
	}
	return got, err
}
