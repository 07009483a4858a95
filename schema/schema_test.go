package schema_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/schema"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func TestMigrateConcurrentAndIdempotent(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t, pgtest.NewEmptyDB(t))
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))

	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = schema.Migrate(ctx, pool, logger)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("migrate #%d: %v", i, err)
		}
	}
	if err := schema.Migrate(ctx, pool, logger); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	migs, err := schema.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(migs) {
		t.Errorf("schema_migrations rows: got %d, want %d", n, len(migs))
	}
	v, err := schema.Version(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if want := migs[len(migs)-1].Version; v != want {
		t.Errorf("version: got %d, want %d", v, want)
	}
	var riverTables int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 'river_job'").Scan(&riverTables); err != nil {
		t.Fatal(err)
	}
	if riverTables != 1 {
		t.Errorf("river_job tables: got %d, want 1", riverTables)
	}
}

// isLocal reports whether a table is one of this instance's own: River's, the
// migration bookkeeping and the tables the migrations mark local.
func isLocal(table string) bool {
	switch table {
	case "schema_migrations", "import_export_audits", "web_sessions", "login_networks", "login_failures":
		return true
	}
	return strings.HasPrefix(table, "river_")
}

// catalog is the catalog of a freshly migrated database.
func catalog(t *testing.T) *schema.Catalog {
	t.Helper()
	pool := pgtest.NewPool(t, pgtest.NewDB(t))
	cat, err := schema.LoadCatalog(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func TestCatalogExcludesLocalTablesAndOrdersByDependency(t *testing.T) {
	t.Parallel()
	cat := catalog(t)
	pos := map[string]int{}
	for i, tb := range cat.Tables {
		pos[tb.Name] = i
		if isLocal(tb.Name) {
			t.Errorf("local table %q in catalog", tb.Name)
		}
	}
	for _, want := range []string{"users", "school_classes", "students", "guardianships", "messages",
		"parental_letters", "letter_acknowledgements", "attachments"} {
		if _, ok := pos[want]; !ok {
			t.Errorf("catalog lacks %q", want)
		}
	}
	for _, tb := range cat.Tables {
		for _, fk := range tb.ForeignKeys {
			if fk.RefTable != tb.Name && pos[fk.RefTable] > pos[tb.Name] {
				t.Errorf("%s comes before %s, which it references", tb.Name, fk.RefTable)
			}
		}
	}
	users := cat.Table("users")
	if users == nil || len(users.Sequences) != 1 || users.Sequences[0].Column != "id" {
		t.Errorf("users sequences: got %+v, want one on id", users)
	}
	if c := users.Column("preferences"); c == nil || c.Type != "jsonb" {
		t.Errorf("users.preferences: got %+v, want jsonb", c)
	}
}

// TestCatalogIndexes reads the app tables' indexes with what each enforces and
// the statements that drop and build it again.
func TestCatalogIndexes(t *testing.T) {
	t.Parallel()
	cat := catalog(t)
	got := map[string]schema.Index{}
	for _, tb := range cat.Tables {
		for _, ix := range tb.Indexes {
			if ix.Table != tb.Name {
				t.Errorf("index %s of table %s says table %s", ix.Name, tb.Name, ix.Table)
			}
			got[ix.Name] = ix
		}
	}
	for _, c := range []struct {
		name       string
		kind       schema.IndexKind
		drop, make string
	}{
		{"users_pkey", schema.PrimaryKey, `ALTER TABLE "users" DROP CONSTRAINT "users_pkey"`,
			`SET LOCAL default_tablespace = ''; ALTER TABLE "users" ADD CONSTRAINT "users_pkey" PRIMARY KEY (id)`},
		{"users_email_key", schema.UniqueIndex, `DROP INDEX "users_email_key"`,
			`SET LOCAL default_tablespace = ''; CREATE UNIQUE INDEX users_email_key ON public.users USING btree (lower(email)) WHERE (deleted_at IS NULL)`},
		{"users_deleted_at_idx", schema.PlainIndex, `DROP INDEX "users_deleted_at_idx"`,
			`SET LOCAL default_tablespace = ''; CREATE INDEX users_deleted_at_idx ON public.users USING btree (deleted_at)`},
		{"letter_acknowledgements_parental_letter_id_student_id_key", schema.UniqueConstraint,
			`ALTER TABLE "letter_acknowledgements" DROP CONSTRAINT "letter_acknowledgements_parental_letter_id_student_id_key"`,
			`SET LOCAL default_tablespace = ''; ALTER TABLE "letter_acknowledgements" ADD CONSTRAINT "letter_acknowledgements_parental_letter_id_student_id_key" UNIQUE (parental_letter_id, student_id)`},
	} {
		ix, ok := got[c.name]
		if !ok {
			t.Errorf("catalog lacks index %s", c.name)
			continue
		}
		if ix.Kind != c.kind || ix.DropSQL() != c.drop || ix.CreateSQL() != c.make {
			t.Errorf("index %s:\ngot  %s\n     %s\n     %s\nwant %s\n     %s\n     %s", c.name, ix.Kind, ix.DropSQL(), ix.CreateSQL(), c.kind, c.drop, c.make)
		}
	}
	for name, ix := range got {
		if isLocal(ix.Table) {
			t.Errorf("index %s of local table %s in the catalog", name, ix.Table)
		}
	}
}

// TestCatalogLeavesOutTablesMarkedLocal: a table is left out of the catalog by its
// comment alone, whatever its name, and every table the migrations create for this
// instance alone carries the mark.
func TestCatalogLeavesOutTablesMarkedLocal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.NewPool(t, pgtest.NewDB(t))
	for _, sql := range []string{
		`CREATE TABLE kept_here (id bigint PRIMARY KEY, note text)`,
		`COMMENT ON TABLE kept_here IS '` + schema.LocalMark + ` a table of this instance alone'`,
		`CREATE TABLE shared_too (id bigint PRIMARY KEY, note text)`,
		`COMMENT ON TABLE shared_too IS 'an app table with a comment of its own'`,
	} {
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	cat, err := schema.LoadCatalog(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if cat.Table("kept_here") != nil {
		t.Error("a table marked local is in the catalog")
	}
	if cat.Table("shared_too") == nil {
		t.Error("an app table with another comment is not in the catalog")
	}

	rows, err := pool.Query(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind = 'r'
		  AND obj_description(c.oid, 'pg_class') LIKE $1 || '%' AND c.relname <> 'kept_here' ORDER BY 1`, schema.LocalMark)
	if err != nil {
		t.Fatal(err)
	}
	marked, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"import_export_audits", "login_failures", "login_networks", "web_sessions"}; !slices.Equal(marked, want) {
		t.Errorf("tables marked local by the migrations: got %v, want %v", marked, want)
	}
}
