package schema

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// EstimateRows is how many rows the planner expects table to hold: its statistics
// scaled to the table's current size, so it answers even before the first ANALYZE,
// and costs no scan. table must be a name from the catalog.
func EstimateRows(ctx context.Context, db interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}, table string) (int64, error) {
	var plan []byte
	if err := db.QueryRow(ctx, `EXPLAIN (FORMAT JSON) SELECT FROM `+pgx.Identifier{table}.Sanitize()).Scan(&plan); err != nil {
		return 0, fmt.Errorf("estimate rows of %q: %w", table, err)
	}
	var p []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		}
	}
	if err := json.Unmarshal(plan, &p); err != nil || len(p) == 0 {
		return 0, fmt.Errorf("read the planner's estimate of %q: %v", table, err)
	}
	return int64(p[0].Plan.Rows), nil
}
