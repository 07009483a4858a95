package browse

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/wippidu/wippidu/schema"
)

// SampleRows is how many rows of each table a preview shows.
const SampleRows = 5

// Sample reads the first PageRows rows of every app table inside tx: a previewed
// import's transaction, just before it rolls back, so that an admin sees what the
// import would have left without anything having changed.
//
// The preview is stored (in the job's audit row) after the rollback, so nothing
// production held may be in it: the values of a column the import loaded as it
// was, and of kept text whose people-replacement was switched off, are hidden.
// The leak check's counts say what those columns hold.
func (r *Reader) Sample(ctx context.Context, tx pgx.Tx, q Query) ([]TablePage, error) {
	cat, err := schema.LoadCatalog(ctx, tx)
	if err != nil {
		return nil, err
	}
	marks := newMarks(r.cfg.Policy, q)
	out := make([]TablePage, 0, len(cat.Tables))
	for _, t := range cat.Tables {
		n, err := r.count(ctx, tx, t.Name)
		if err != nil {
			return nil, fmt.Errorf("count %s: %w", t.Name, err)
		}
		p := TablePage{Name: t.Name, Count: n, Page: 1, PageRows: r.cfg.PageRows, Columns: marks.columns(t)}
		if err := r.readPage(ctx, tx, t, &p); err != nil {
			return nil, fmt.Errorf("read %s: %w", t.Name, err)
		}
		p.Next = 0
		for i, c := range p.Columns {
			if c.Unscrubbed == "" && len(c.FreeTextKept) == 0 {
				continue
			}
			for _, row := range p.Rows {
				if !row[i].Null {
					row[i] = Value{Hidden: true}
				}
			}
		}
		out = append(out, p)
	}
	return out, nil
}
