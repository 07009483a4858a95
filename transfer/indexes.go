package transfer

import (
	"context"
	"fmt"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/dump"
	"github.com/wippidu/wippidu/schema"
)

// dropIndexes drops the app tables' indexes for the load, once the tables are
// empty: COPY then writes the table without updating every index row by row,
// and buildIndexes builds each index from the loaded rows in one sort. The
// foreign keys, which need the keys they reference, are dropped before.
func (imp *importer) dropIndexes(ctx context.Context, _ *dump.Reader) error {
	for _, t := range imp.cat.Tables {
		for _, ix := range loadWithout(t) {
			if _, err := imp.tx.Exec(ctx, ix.DropSQL()); err != nil {
				return fmt.Errorf("drop %s %q of table %q: %w", ix.Kind, ix.Name, t.Name, err)
			}
		}
	}
	return nil
}

// loadWithout are the indexes of t the load goes without: all but the primary
// key. The export reads a table in its physical order, which is mostly id
// order, so most ids go to the end of the key's rightmost page: cheap, and done
// while the import is still reading the dump, where a rebuild after the load
// costs a scan and a sort of its own. At 100,000 users the import that keeps
// the primary keys took 0.81–1.05 times as long as the one that rebuilds them
// (median 0.94, eight rounds). A duplicate id fails the load at its row.
func loadWithout(t *schema.Table) []schema.Index {
	var out []schema.Index
	for _, ix := range t.Indexes {
		if ix.Kind != schema.PrimaryKey {
			out = append(out, ix)
		}
	}
	return out
}

// buildIndexes builds the dropped indexes again, before the foreign keys are
// added back. A unique or exclusion index checks every loaded row as it is
// built: a dump whose rows break one fails here, naming the table and the
// constraint or index, and the transaction rolls back with the index as it
// was. maintenance_work_mem stays the server's: 256MB made no build faster
// where it was measured.
func (imp *importer) buildIndexes(ctx context.Context, _ *dump.Reader) error {
	steps := perTable(imp.cat, loadWithout, func(t *schema.Table, ix schema.Index) step {
		return step{table: t.Name, sql: ix.CreateSQL(), fail: func(err error) error {
			if ix.Kind.Enforces() {
				return pgDataError(fmt.Errorf("%s %q of table %q does not hold for the dump's rows: %w", ix.Kind, ix.Name, t.Name, err))
			}
			return pgDataError(fmt.Errorf("index %q of table %q cannot be built from the dump's rows: %w", ix.Name, t.Name, err))
		}}
	})
	return imp.runSteps(ctx, wippidu.PhaseIndexes, steps)
}
