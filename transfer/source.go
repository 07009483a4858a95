package transfer

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wippidu/wippidu/dump"
	"github.com/wippidu/wippidu/schema"
)

// hasBytea reports whether a table exports binary values.
func hasBytea(cols []dump.Column) bool {
	for _, c := range cols {
		if dump.KindOf(c.Type) == dump.KindBytea {
			return true
		}
	}
	return false
}

// source is what an export reads from: its own transaction, the connection
// that reads large values in chunks (nil when the dump holds no bytea), and the
// readers of the tables read in parts (parts.go).
type source struct {
	limits  *exportLimits
	tx      pgx.Tx
	large   *largeValues
	readers *readers
	parts   map[string][]string // per table read in parts, the condition of each part
}

// openSource shares the export's snapshot when more connections are to read in
// it, and plans the tables read in parts. It must run before the first COPY.
func openSource(ctx context.Context, tx pgx.Tx, conn *pgx.Conn, cat *schema.Catalog, opts ExportOptions) (*source, error) {
	src := &source{tx: tx, limits: opts.limits}
	if src.limits == nil {
		src.limits = defaultLimits()
	}
	var err error
	if src.parts, err = partsPlan(ctx, tx, cat, opts.Connections, src.limits.split); err != nil {
		return nil, err
	}
	large := opts.IncludeAttachments && catalogHasBytea(cat)
	if !large && len(src.parts) == 0 {
		return src, nil
	}
	shared, err := shareSnapshot(ctx, tx, conn)
	if err != nil {
		return nil, err
	}
	if large {
		src.large = &largeValues{shared: shared, limits: src.limits}
	}
	src.readers = &readers{shared: shared, n: opts.Connections - 1}
	return src, nil
}

// close ends the connections the export opened besides its own.
func (s *source) close(ctx context.Context) {
	s.large.close(ctx)
	s.readers.close(ctx)
}

// tableCopy is how a table is read: the columns the dump holds, the list
// selected for them (the quoted columns, or expressions exported instead of
// some), and the COPY format.
type tableCopy struct {
	table   string
	cols    []dump.Column
	idents  []string
	list    []string
	swapped bool // some columns are exported as expressions
	binary  bool
}

// sql is the COPY of the table's rows that match where, of all of them when
// where is empty.
func (c *tableCopy) sql(where string) string {
	from := pgx.Identifier{c.table}.Sanitize()
	if !c.swapped && !c.binary && where == "" {
		return "COPY " + from + " (" + strings.Join(c.idents, ", ") + ") TO STDOUT"
	}
	sql := "COPY (SELECT " + strings.Join(c.list, ", ") + " FROM " + from
	if where != "" {
		sql += " WHERE " + where
	}
	if c.binary {
		return sql + ") TO STDOUT (FORMAT binary)"
	}
	return sql + ") TO STDOUT"
}

// copyOf is how table t is read. Without attachments, binary columns are left
// out of the dump. swap holds SQL expressions exported instead of some columns
// (lockPasswords). Values over largeValue bytes are left out of the rows, to be
// fetched in chunks; 0 leaves every value in its row.
func copyOf(t *schema.Table, swap map[string]string, attachments bool, largeValue int64) *tableCopy {
	c := &tableCopy{table: t.Name, swapped: len(swap) > 0}
	for _, col := range t.Columns {
		if !attachments && dump.KindOf(col.Type) == dump.KindBytea {
			continue
		}
		c.cols = append(c.cols, dump.Column{Name: col.Name, Type: col.Type})
		c.idents = append(c.idents, pgx.Identifier{col.Name}.Sanitize())
		e, ok := swap[col.Name]
		if !ok {
			e = c.idents[len(c.idents)-1]
		}
		c.list = append(c.list, e)
	}
	// A table of binary values is read in binary COPY format (dump/copyout.go),
	// its largest values in chunks beside the COPY (large.go). In COPY text
	// format every value, however large, comes whole inside its row.
	if hasBytea(c.cols) && largeValue > 0 {
		if sel := dump.BinaryExportSelect(c.cols, c.list, largeValue); sel != nil {
			c.list, c.binary = sel, true
		}
	}
	return c
}

// exportTable writes one table through sink and returns its number of rows.
func (s *source) exportTable(ctx context.Context, dw *dump.Writer, t *schema.Table, swap map[string]string, sink *progressWriter) (int64, error) {
	var largeValue int64
	if s.large != nil {
		largeValue = s.limits.largeValue
	}
	c := copyOf(t, swap, sink.attachments, largeValue)
	open := dw.BeginTable
	if c.binary {
		open = dw.BeginBinaryTable
	}
	tw, err := open(t.Name, c.cols)
	if err != nil {
		return 0, fmt.Errorf("table %q: %w", t.Name, err)
	}
	if c.binary {
		tw.Large = s.large.fetch(ctx, t.Name, c.cols)
	}
	sink.w = tw
	if len(c.cols) > 0 {
		if err := s.copyTable(ctx, tw, c, sink); err != nil {
			return 0, fmt.Errorf("copy table %q: %w", t.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return 0, fmt.Errorf("table %q: %w", t.Name, err)
	}
	return tw.Rows(), nil
}

// copyTable copies a table's rows into tw: in parts when it is planned so, on
// the export's own connection otherwise.
func (s *source) copyTable(ctx context.Context, tw *dump.TableWriter, c *tableCopy, sink *progressWriter) error {
	own := s.tx.Conn().PgConn()
	where := s.parts[c.table]
	if where == nil {
		return copyOut(ctx, own, sink, c.sql(""))
	}
	readers, err := s.readers.open(ctx)
	if err != nil {
		return err
	}
	conns := []*pgconn.PgConn{own}
	sqls := []string{c.sql(where[0])}
	for i, r := range readers {
		conns = append(conns, r.PgConn())
		sqls = append(sqls, c.sql(where[i+1]))
	}
	return copyParts(ctx, conns, tw, sqls, sink, &s.limits.parts)
}
