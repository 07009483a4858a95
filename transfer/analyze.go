package transfer

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/wippidu/wippidu/schema"
)

// Analyze updates the planner's statistics of every app table, inside the
// import's transaction once its last row is written (ImportOptions.BeforeCommit,
// after staging's own accounts are back). An import replaces whole tables: without
// it the planner, the data page's counts (schema.EstimateRows) and the first
// queries on staging go by the statistics of the data that was there before,
// until autovacuum comes round. ANALYZE counts the rows this transaction wrote;
// pg_statistic is written in the transaction, so the statistics commit with the
// data and a dry run rolls them back with it.
func Analyze(ctx context.Context, tx pgx.Tx) error {
	cat, err := schema.LoadCatalog(ctx, tx)
	if err != nil {
		return err
	}
	if len(cat.Tables) == 0 {
		return nil
	}
	names := make([]string, len(cat.Tables))
	for i, t := range cat.Tables {
		names[i] = pgx.Identifier{t.Name}.Sanitize()
	}
	if _, err := tx.Exec(ctx, "ANALYZE "+strings.Join(names, ", ")); err != nil {
		return fmt.Errorf("analyze the loaded tables: %w", err)
	}
	return nil
}
