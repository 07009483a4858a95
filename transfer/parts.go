package transfer

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"golang.org/x/sync/errgroup"

	"github.com/wippidu/wippidu/dump"
	"github.com/wippidu/wippidu/schema"
)

// One connection sends a table's COPY no faster than its one server process
// produces it, however fast the export could take it. An export on several
// connections (ExportOptions.Connections) reads each of its largest tables in
// parts, one range of the table's pages (ctid >= '(a,0)' AND ctid < '(b,0)',
// a TID range scan) on each connection at once: the export's own and readers
// that share its snapshot, so every part is read in the one snapshot. Each
// part's COPY goes through a pipe of its own (copypipe.go); the pipes take
// turns writing whole rows into the table's one "rows" array (dump.Part), so
// the dump is the one a single connection would write, rows in another order.

// tableSizeSQL is a table's size with its TOAST, and the pages of its own.
const tableSizeSQL = `SELECT pg_table_size(c.oid), pg_relation_size(c.oid) / current_setting('block_size')::bigint
FROM pg_class c WHERE c.oid = $1::regclass`

// partsPlan returns, for every table worth reading in parts on n connections,
// the conditions that split it into n ranges of its pages: every table of at
// least split bytes.
func partsPlan(ctx context.Context, tx pgx.Tx, cat *schema.Catalog, n int, split int64) (map[string][]string, error) {
	if n < 2 {
		return nil, nil
	}
	plan := map[string][]string{}
	for _, t := range cat.Tables {
		var size, pages int64
		if err := tx.QueryRow(ctx, tableSizeSQL, pgx.Identifier{t.Name}.Sanitize()).Scan(&size, &pages); err != nil {
			return nil, fmt.Errorf("size of table %q: %w", t.Name, err)
		}
		if size >= split && pages >= int64(n) {
			plan[t.Name] = pageRanges(pages, n)
		}
	}
	return plan, nil
}

// pageRanges splits the pages of a table of the given size into n ranges of
// ctids, as conditions. The last range is open, for the pages a table grows
// by after it was measured (rows other transactions add, which the snapshot
// does not see, but which the parts must not miss either way).
func pageRanges(pages int64, n int) []string {
	tid := func(page int64) string { return "'(" + strconv.FormatInt(page, 10) + ",0)'" }
	out := make([]string, n)
	for i := range int64(n) {
		var conds []string
		if i > 0 {
			conds = append(conds, "ctid >= "+tid(pages*i/int64(n)))
		}
		if i < int64(n)-1 {
			conds = append(conds, "ctid < "+tid(pages*(i+1)/int64(n)))
		}
		out[i] = strings.Join(conds, " AND ")
	}
	return out
}

// readers are the connections besides the export's own that read tables in
// parts, each in a read-only transaction on the export's snapshot. They are
// opened at the first table read in parts.
type readers struct {
	shared *sharedSnapshot
	n      int
	conns  []*pgx.Conn
}

// open returns the readers, opening them the first time.
func (r *readers) open(ctx context.Context) ([]*pgx.Conn, error) {
	for len(r.conns) < r.n {
		conn, err := r.shared.join(ctx, "reading in parts")
		if err != nil {
			return nil, err
		}
		r.conns = append(r.conns, conn)
	}
	return r.conns, nil
}

// close ends the readers; their transactions only read.
func (r *readers) close(ctx context.Context) {
	if r == nil {
		return
	}
	for _, conn := range r.conns {
		_ = conn.Close(context.WithoutCancel(ctx))
	}
	r.conns = nil
}

// copyParts copies a table into tw in parts, the COPY sqls[i] on conns[i] at
// once. The first error stops every part: the others' contexts are cancelled.
func copyParts(ctx context.Context, conns []*pgconn.PgConn, tw *dump.TableWriter, sqls []string, sink *progressWriter, count *atomic.Int64) error {
	g, ctx := errgroup.WithContext(ctx)
	var mu sync.Mutex
	parts := make([]*dump.Part, len(sqls))
	for i := range parts {
		parts[i] = tw.NewPart()
	}
	for i, sql := range sqls {
		part := parts[i]
		w := *sink
		w.w = part
		g.Go(func() error {
			count.Add(1)
			if err := copyOut(ctx, conns[i], lockedWriter{mu: &mu, w: &w}, sql); err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			return part.Close()
		})
	}
	return g.Wait()
}

// copyOut runs the COPY sql on pc into w, through a copyPipe.
func copyOut(ctx context.Context, pc *pgconn.PgConn, w io.Writer, sql string) error {
	pipe := newCopyPipe(w)
	_, err := pc.CopyTo(ctx, pipe, sql)
	if perr := pipe.Close(); err == nil {
		err = perr
	}
	return err
}

// lockedWriter lets one writer at a time through to w.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}
