package worker_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wippidu/wippidu/browse"
	"github.com/wippidu/wippidu/demodata"
	"github.com/wippidu/wippidu/schema"
)

// TestImportLeavesCountsThatAgree: right after an import of a school of 300
// users (about 8,000 rows), the data page's counts, exact up to 100 rows and the
// planner's estimate beyond, equal count(*) of every table: the import analyzed
// what it loaded. A preview, rolled back, leaves the statistics as they were.
// Autovacuum is off on staging's tables, so that only the import can have
// analyzed them.
func TestImportLeavesCountsThatAgree(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prod := newInstance(t, instanceOpts{})
	staging := newInstance(t, instanceOpts{allowImport: true})
	if _, err := demodata.Generate(ctx, prod.pool, demodata.Config{Users: 300, AttachmentKB: 1, Seed: 5},
		slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	tables := appTables(t, staging.pool)
	for _, name := range tables {
		if _, err := staging.pool.Exec(ctx, "ALTER TABLE "+pgx.Identifier{name}.Sanitize()+" SET (autovacuum_enabled = false)"); err != nil {
			t.Fatal(err)
		}
	}
	key, _ := prod.exportFile(t)
	in := upload(t, prod, staging, key)

	before := plannerRows(t, staging.pool)
	preview := importRequest(in)
	preview.Preview = true
	s, err := staging.sub.Import(ctx, preview)
	if err != nil {
		t.Fatal(err)
	}
	if st := staging.wait(t, s.JobID); !st.Succeeded {
		t.Fatalf("preview: %s", st.Error)
	}
	if after := plannerRows(t, staging.pool); !equal(before, after) {
		t.Errorf("a preview changed the planner's statistics: before %v, after %v", before, after)
	}

	s, err = staging.sub.Import(ctx, importRequest(in))
	if err != nil {
		t.Fatal(err)
	}
	if st := staging.wait(t, s.JobID); !st.Succeeded {
		t.Fatalf("import: %s", st.Error)
	}
	// Rebuilding an index sets the table's reltuples too; only ANALYZE gives its
	// columns statistics.
	for name, v := range plannerRows(t, staging.pool) {
		if strings.HasSuffix(v, "/0") && !strings.HasPrefix(v, "0/") {
			t.Errorf("%s: %s (reltuples/columns with statistics) after the import: it was not analyzed", name, v)
		}
	}
	// Counting stops at a hundred rows here, so that most tables of this
	// small school go by the planner's estimates.
	r, err := browse.New(browse.Config{DB: staging.pool, ExactCountLimit: 100})
	if err != nil {
		t.Fatal(err)
	}
	view, err := r.Read(ctx, browse.Query{})
	if err != nil {
		t.Fatal(err)
	}
	estimated := 0
	for _, ts := range view.Tables {
		var n int64
		if err := staging.pool.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{ts.Name}.Sanitize()).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if ts.Count.Rows != n {
			t.Errorf("%s: the data page says %s %d rows, count(*) %d", ts.Name, ts.Count.Kind, ts.Count.Rows, n)
		}
		if ts.Count.Kind == browse.CountAbout {
			estimated++
		}
	}
	if estimated < 3 {
		t.Errorf("only %d tables beyond the exact count's limit: the planner's estimates were not put to the test", estimated)
	}
}

func appTables(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	cat, err := schema.LoadCatalog(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tb := range cat.Tables {
		names = append(names, tb.Name)
	}
	return names
}

// plannerRows is what the planner believes of each app table: pg_class's
// reltuples (-1: never analyzed), and how many columns have statistics.
func plannerRows(t *testing.T, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT c.relname::text, c.reltuples::text || '/' ||
		(SELECT count(*) FROM pg_stats s WHERE s.tablename = c.relname AND s.schemaname = current_schema())::text
		FROM pg_class c WHERE c.relname = ANY($1) AND c.relnamespace = current_schema()::regnamespace`, appTables(t, pool))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for rows.Next() {
		var name, v string
		if err := rows.Scan(&name, &v); err != nil {
			t.Fatal(err)
		}
		out[name] = v
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
