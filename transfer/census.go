package transfer

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/schema"
)

// census counts, in the export's snapshot, which words and numbers of the kept
// free text at least anonymizer.CommonWriters people wrote: the allow-list the
// import rebuilds that text by, written into the dump's header. The export can ask
// production's tables directly, so this reads the few columns it needs (who wrote
// each row, and the free text) rather than the dump; an import of a dump without
// the list must read the whole file once more to count them (readPeople).
func census(ctx context.Context, tx pgx.Tx, cat *schema.Catalog, policy *anonymizer.Policy) ([]string, error) {
	c := anonymizer.NewCensus()
	for _, ct := range policy.CensusTables(cat) {
		cols := make([]string, len(ct.Columns))
		for i, name := range ct.Columns {
			cols[i] = pgx.Identifier{name}.Sanitize() + "::text"
		}
		rows, err := tx.Query(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+pgx.Identifier{ct.Table}.Sanitize(),
			pgx.QueryResultFormats{pgx.TextFormatCode})
		if err != nil {
			return nil, fmt.Errorf("count the common words of table %q: %w", ct.Table, err)
		}
		for rows.Next() {
			c.Add(ct, rows.RawValues())
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("count the common words of table %q: %w", ct.Table, err)
		}
	}
	return c.Common(), nil
}
