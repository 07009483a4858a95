package transfer

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/wippidu/wippidu/dump"
	"github.com/wippidu/wippidu/schema"
)

// A bytea value over largeValueBytes is left out of its binary COPY row
// (dump.BinaryExportSelect) and read here, a chunk at a time, so that the
// export's memory does not grow with the largest attachment. The chunks are read
// on a second connection: the export's own is inside its COPY while the value is
// needed, and the server just waits until the COPY is read on. The second
// connection imports the export's snapshot, so it sees exactly the rows the COPY
// sends. Tables exported in COPY text format (no bytea column, or a column type
// binary COPY is not used for) still get every value whole inside its row.

var (
	// largeValueBytes is the size over which a value is fetched in chunks;
	// tests lower it (export_test.go).
	largeValueBytes int64 = dump.LargeValueBytes
	// largeChunkBytes is how much of a value one query reads: a multiple of 3,
	// so that every chunk is whole base64 groups in the dump, and large enough
	// that a 64 MiB value takes a couple of dozen queries. pgconn receives each
	// chunk into a pooled buffer that the next chunk reuses.
	largeChunkBytes int64 = 3 << 20
	// largeChunksRead counts the chunk queries run, for the tests.
	largeChunksRead atomic.Int64
)

// largeValues reads the large values of one export.
type largeValues struct {
	cfg      *pgx.ConnConfig
	snapshot string    // pg_export_snapshot() of the export's transaction
	conn     *pgx.Conn // opened at the first large value
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

// shareSnapshot exports the snapshot of the export's transaction, when the dump
// will hold bytea values, for a second connection like conn to read large
// values in; nil when there are none. It must run before the first COPY.
func shareSnapshot(ctx context.Context, tx pgx.Tx, conn *pgx.Conn, cat *schema.Catalog, attachments bool) (*largeValues, error) {
	if !attachments || !catalogHasBytea(cat) {
		return nil, nil
	}
	l := &largeValues{cfg: conn.Config()}
	if err := tx.QueryRow(ctx, "SELECT pg_export_snapshot()").Scan(&l.snapshot); err != nil {
		return nil, fmt.Errorf("export snapshot: %w", err)
	}
	return l, nil
}

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

// open returns the second connection, opening it the first time: a read-only
// transaction on the export's snapshot with the export's session settings. It
// sits idle in its transaction while the COPY runs on between large values, so
// a server's idle_in_transaction_session_timeout is lifted for it.
func (l *largeValues) open(ctx context.Context) (*pgconn.PgConn, error) {
	if l.conn != nil {
		return l.conn.PgConn(), nil
	}
	conn, err := pgx.ConnectConfig(ctx, l.cfg)
	if err != nil {
		return nil, fmt.Errorf("connect for large values: %w", err)
	}
	setup := "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\n" +
		"SET TRANSACTION SNAPSHOT '" + strings.ReplaceAll(l.snapshot, "'", "''") + "';\n" +
		"SET LOCAL idle_in_transaction_session_timeout = 0;\n" +
		sessionSettingsSQL
	if _, err := conn.Exec(ctx, setup); err != nil {
		_ = conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("share the export's snapshot: %w", err)
	}
	l.conn = conn
	return conn.PgConn(), nil
}

// close ends the second connection, if it was opened; its transaction only read.
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
			want := min(largeChunkBytes, n-off)
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
	largeChunksRead.Add(1)
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
