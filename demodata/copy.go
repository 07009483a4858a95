package demodata

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// flushSize is how much COPY data a generator buffers before handing it to the
// connection: large enough to amortise the pipe hand-off, small enough to keep
// memory flat.
const flushSize = 256 << 10

// rowWriter buffers one table's COPY data and flushes it to w. Generators append
// values in column order with the methods of copytext.go (text format) or
// copybinary.go (binary format).
type rowWriter struct {
	ctx   context.Context
	w     io.Writer
	buf   []byte
	rows  int64
	bytes int64

	// Progress reporting.
	logger  *slog.Logger
	table   string
	want    int64 // expected rows, 0 if unknown
	lastLog time.Time
}

// progressEvery is how often a long table load reports progress.
const progressEvery = 5 * time.Second

func newRowWriter(ctx context.Context, w io.Writer, logger *slog.Logger, table string, want int64) *rowWriter {
	return &rowWriter{
		ctx: ctx, w: w, buf: make([]byte, 0, flushSize+64<<10),
		logger: logger, table: table, want: want, lastLog: time.Now(),
	}
}

// flush hands the buffer to the connection. It is also where generators notice
// cancellation and where long loads report progress.
func (rw *rowWriter) flush() error {
	if err := rw.ctx.Err(); err != nil {
		return err
	}
	if len(rw.buf) == 0 {
		return nil
	}
	n, err := rw.w.Write(rw.buf)
	rw.bytes += int64(n)
	rw.buf = rw.buf[:0]
	if now := time.Now(); now.Sub(rw.lastLog) >= progressEvery {
		rw.lastLog = now
		attrs := []slog.Attr{slog.String("table", rw.table), slog.Int64("rows", rw.rows), slog.Int64("bytes", rw.bytes)}
		if rw.want > 0 {
			attrs = append(attrs, slog.Int("percent", int(100*rw.rows/rw.want)))
		}
		rw.logger.LogAttrs(rw.ctx, slog.LevelInfo, "loading", attrs...)
	}
	return err
}

// table is one table's load: its name, columns, expected row count (for progress)
// and a generator that writes its rows.
type table struct {
	name    string
	columns []string
	want    func() int64
	gen     func(rw *rowWriter) error
	binary  bool // gen writes COPY's binary format instead of text
}

// errCopyAborted unblocks a generator whose COPY ended early.
var errCopyAborted = errors.New("copy aborted")

// copyTable streams a table's rows into PostgreSQL: a goroutine generates COPY data
// into one end of a pipe while the connection sends the other end to the server.
func copyTable(ctx context.Context, tx pgx.Tx, t table, logger *slog.Logger) (TableStats, error) {
	start := time.Now()
	want := t.want()
	logger.InfoContext(ctx, "loading table", slog.String("table", t.name), slog.Int64("rows_expected", want))
	pr, pw := io.Pipe()
	rw := newRowWriter(ctx, pw, logger, t.name, want)
	genDone := make(chan error, 1)
	go func() {
		err := t.gen(rw)
		if err == nil {
			err = rw.flush()
		}
		pw.CloseWithError(err) // nil closes with io.EOF: the end of the data
		genDone <- err
	}()

	sql := "COPY " + pgx.Identifier{t.name}.Sanitize() + " (" + quoteColumns(t.columns) + ") FROM STDIN"
	if t.binary {
		sql += " (FORMAT binary)"
	}
	_, copyErr := tx.Conn().PgConn().CopyFrom(ctx, pr, sql)
	pr.CloseWithError(errCopyAborted)
	genErr := <-genDone
	if errors.Is(genErr, errCopyAborted) {
		genErr = nil
	}

	st := TableStats{Name: t.name, Rows: rw.rows, Bytes: rw.bytes, Elapsed: time.Since(start)}
	if genErr != nil {
		return st, fmt.Errorf("generate table %q: %w", t.name, genErr)
	}
	if copyErr != nil {
		return st, fmt.Errorf("copy table %q: %w", t.name, copyErr)
	}
	logger.InfoContext(ctx, "table loaded",
		slog.String("table", t.name),
		slog.Int64("rows", st.Rows),
		slog.Int64("bytes", st.Bytes),
		slog.Duration("elapsed", st.Elapsed),
		slog.Float64("mb_per_s", float64(st.Bytes)/1e6/st.Elapsed.Seconds()))
	return st, nil
}

func quoteColumns(cols []string) string {
	out := make([]byte, 0, 16*len(cols))
	for i, c := range cols {
		if i > 0 {
			out = append(out, ", "...)
		}
		out = append(out, pgx.Identifier{c}.Sanitize()...)
	}
	return string(out)
}
