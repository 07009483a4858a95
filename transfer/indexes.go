package transfer

import (
	"context"
	"fmt"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/dump"
	"github.com/wippidu/wippidu/schema"
)

// dropIndexes drops the app tables' indexes for the load, primary keys
// included, once the tables are empty: COPY into a table without indexes writes
// only the table, and buildIndexes then builds each index from the loaded rows
// in one sort. Keeping the indexes costs PostgreSQL about a third of the load's
// time in b-tree inserts; keeping only the primary keys costs more in inserts
// than their sorts save. The foreign keys, which need the keys they reference,
// are dropped before.
func (imp *importer) dropIndexes(ctx context.Context, _ *dump.Reader) error {
	for _, t := range imp.cat.Tables {
		for _, ix := range t.Indexes {
			if _, err := imp.tx.Exec(ctx, ix.DropSQL()); err != nil {
				return fmt.Errorf("drop %s %q of table %q: %w", ix.Kind, ix.Name, t.Name, err)
			}
		}
	}
	return nil
}

// buildIndexes builds the dropped indexes again, before the foreign keys are
// added back. A unique or exclusion index checks every loaded row as it is
// built: a dump whose rows break one fails here, naming the table and the
// constraint or index, and the transaction rolls back with the index as it
// was. maintenance_work_mem stays the server's: more memory made no build
// faster where it was measured.
func (imp *importer) buildIndexes(ctx context.Context, _ *dump.Reader) error {
	steps := perTable(imp.cat, func(t *schema.Table) []schema.Index { return t.Indexes },
		func(t *schema.Table, ix schema.Index) step {
			return step{table: t.Name, sql: ix.CreateSQL(), fail: func(err error) error {
				if ix.Kind.Enforces() {
					return pgDataError(fmt.Errorf("%s %q of table %q does not hold for the dump's rows: %w", ix.Kind, ix.Name, t.Name, err))
				}
				return pgDataError(fmt.Errorf("index %q of table %q cannot be built from the dump's rows: %w", ix.Name, t.Name, err))
			}}
		})
	return imp.runSteps(ctx, wippidu.PhaseIndexes, steps)
}
