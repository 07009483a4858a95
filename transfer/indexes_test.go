package transfer_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/internal/testsalt"
	"github.com/wippidu/wippidu/transfer"
)

// examsSQL adds a table with an index of every shape an import drops and builds
// again (partial, expression, INCLUDE, operator class, collation, sort order,
// storage parameters, NULLS NOT DISTINCT, a deferrable unique constraint, an
// exclusion constraint, a tablespace of its own), and two it must leave in place
// (one with a comment, one the table is clustered on). %s is the tablespace.
const examsSQL = `
CREATE TABLE exams (
    id              bigserial PRIMARY KEY,
    school_class_id bigint NOT NULL REFERENCES school_classes (id),
    title           text NOT NULL,
    code            text,
    held_on         date,
    points          integer,
    deleted_at      timestamptz,
    CONSTRAINT exams_code_key UNIQUE NULLS NOT DISTINCT (school_class_id, code) INCLUDE (points)
        WITH (fillfactor = 70) DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT exams_one_a_day EXCLUDE USING btree (school_class_id WITH =, held_on WITH =) WHERE (deleted_at IS NULL)
);
CREATE UNIQUE INDEX exams_title_key ON exams (lower(title) text_pattern_ops, school_class_id DESC NULLS LAST)
    INCLUDE (points) WHERE deleted_at IS NULL;
CREATE INDEX exams_title_c_idx ON exams (title COLLATE "C" DESC) INCLUDE (held_on) WITH (fillfactor = 50) WHERE points > 0;
CREATE INDEX exams_held_on_idx ON exams (held_on) TABLESPACE %s;
CREATE INDEX exams_points_idx ON exams (points);
COMMENT ON INDEX exams_points_idx IS 'kept: a comment';
CREATE INDEX exams_deleted_at_idx ON exams (deleted_at);
ALTER TABLE exams CLUSTER ON exams_deleted_at_idx`

// keptInPlace are the indexes of examsSQL an import cannot drop and build again
// whole, so leaves where they are.
var keptInPlace = []string{"exams_points_idx", "exams_deleted_at_idx"}

// examsRows fill the table in the production database.
const examsRows = `INSERT INTO exams (school_class_id, title, code, held_on, points, deleted_at) VALUES
    (1, 'Diktat', 'D1', '2026-11-02', 10, NULL), (1, 'Mathe', NULL, '2026-11-03', 0, NULL),
    (2, 'Mathe', NULL, '2026-11-03', 20, NULL), (2, 'Diktat', 'D1', '2026-11-02', NULL, '2026-11-01 00:00:00+00'),
    (1, 'diktat', 'D2', NULL, 5, '2026-11-01 00:00:00+00')`

// examsPolicy is the shipped policy with the exams table classified.
const examsPolicy = `
keep exams.id              id
keep exams.school_class_id reference
keep exams.title           code
keep exams.code            code
keep exams.held_on         date
keep exams.points          number
keep exams.deleted_at      timestamp`

// appTables are the tables whose indexes an import rebuilds.
var appTables = []string{"users", "school_classes", "students", "guardianships", "messages", "parental_letters",
	"letter_acknowledgements", "attachments", "exams"}

// inPlaceTablespace creates a tablespace inside the server's data directory,
// dropped when the test ends, after the databases that use it.
func inPlaceTablespace(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, pgtest.AdminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "wippidu_ts_" + hex.EncodeToString(b)
	if _, err := c.Exec(ctx, "SET allow_in_place_tablespaces = on"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "CREATE TABLESPACE "+name+" LOCATION ''"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, pgtest.AdminURL(t))
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP TABLESPACE "+name); err != nil {
			t.Errorf("drop tablespace: %v", err)
		}
	})
	return name
}

// examsDB is a migrated database with the exams table, the fixture's rows and,
// in production, rows of exams; then whatever change says.
func examsDB(t *testing.T, tablespace string, production bool, change string) *pgxpool.Pool {
	t.Helper()
	pool := pgtest.NewPool(t, pgtest.NewDB(t))
	seed(t, pool)
	sql := fmt.Sprintf(examsSQL, tablespace)
	if production {
		sql += ";\n" + examsRows
	}
	if change != "" {
		sql += ";\n" + change
	}
	if _, err := pool.Exec(context.Background(), sql); err != nil {
		t.Fatal(err)
	}
	return pool
}

// rawAnon is every anonymizer off, with a policy that classifies exams.
func rawAnon(t *testing.T) *anonymizer.Anonymizer {
	t.Helper()
	shipped, err := os.ReadFile("../anonymizer/policy.conf")
	if err != nil {
		t.Fatal(err)
	}
	policy, err := anonymizer.ParsePolicy(strings.NewReader(string(shipped) + examsPolicy))
	if err != nil {
		t.Fatal(err)
	}
	a, err := anonymizer.New(policy, anonymizer.Keys, testsalt.Salt)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// indexes is every index and constraint of the schema with everything that
// defines it (pg_indexes.indexdef, pg_get_constraintdef, tablespace, the index a
// constraint uses, clustering, comments), and the OID of each index.
func indexes(t *testing.T, q querier) (defs []string, oids map[string]uint32) {
	t.Helper()
	rows, err := q.Query(context.Background(), `
SELECT x.indexname, format('index %s on %s: %s; tablespace %s; clustered %s; comment %s', x.indexname, x.tablename,
       x.indexdef, COALESCE(x.tablespace, '-'), i.indisclustered, COALESCE(obj_description(c.oid, 'pg_class'), '-')), c.oid
FROM pg_indexes x
JOIN pg_class c ON c.relname = x.indexname AND c.relnamespace = x.schemaname::regnamespace
JOIN pg_index i ON i.indexrelid = c.oid
WHERE x.schemaname = current_schema()
UNION ALL
SELECT '', format('constraint %s on %s: %s; index %s; comment %s', con.conname, con.conrelid::regclass,
       pg_get_constraintdef(con.oid), con.conindid::regclass, COALESCE(obj_description(con.oid, 'pg_constraint'), '-')), 0
FROM pg_constraint con
WHERE con.connamespace = current_schema()::regnamespace AND con.conrelid <> 0`)
	if err != nil {
		t.Fatal(err)
	}
	oids = map[string]uint32{}
	var name, def string
	var oid uint32
	if _, err := pgx.ForEachRow(rows, []any{&name, &def, &oid}, func() error {
		defs = append(defs, def)
		if name != "" {
			oids[name] = oid
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(defs)
	return defs, oids
}

// sameIndexes fails t for every index or constraint that is not defined as before.
func sameIndexes(t *testing.T, want, got []string) {
	t.Helper()
	for _, d := range want {
		if !slices.Contains(got, d) {
			t.Errorf("lost or changed: %s", d)
		}
	}
	for _, d := range got {
		if !slices.Contains(want, d) {
			t.Errorf("new or changed: %s", d)
		}
	}
}

// rebuilt is the indexes of the app tables an import drops and builds again:
// all but the primary keys and keptInPlace.
func rebuilt(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	names := pgtest.Strings(t, pool, `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()
		AND tablename = ANY($1) AND NOT indexname = ANY($2)
		AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype = 'p') ORDER BY 1`, appTables, keptInPlace)
	if len(names) < 15 {
		t.Fatalf("only %d indexes on the app tables: %v", len(names), names)
	}
	return names
}

// primaryKeys is the primary keys of the app tables.
func primaryKeys(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	return pgtest.Strings(t, pool, `SELECT conname FROM pg_constraint WHERE contype = 'p' AND conrelid::regclass::text = ANY($1)`, appTables)
}

// TestImportBuildsEveryIndexAgainAsItWas imports into tables with indexes of every
// shape: afterwards every index and constraint is defined exactly as before,
// the indexes the load went without are new objects (built from the loaded
// rows), and the primary keys, which the load keeps, and the ones it cannot
// rebuild whole are the same objects as before.
func TestImportBuildsEveryIndexAgainAsItWas(t *testing.T) {
	t.Parallel()
	ts := inPlaceTablespace(t)
	src := examsDB(t, ts, true, "")
	dst := examsDB(t, ts, false, "")
	want, before := indexes(t, dst)

	var steps int
	_, err := transfer.Import(context.Background(), conn(t, dst), transfer.Bytes(export(t, src, true)), transfer.ImportOptions{
		Anonymizer: rawAnon(t), Progress: func(p wippidu.Progress) {
			if p.Phase == wippidu.PhaseIndexes {
				steps = max(steps, p.Step)
			}
		}})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	got, after := indexes(t, dst)
	sameIndexes(t, want, got)
	built := rebuilt(t, dst)
	for _, name := range built {
		if after[name] == before[name] {
			t.Errorf("index %s: the same object as before the import, want it built again after the load", name)
		}
	}
	for _, name := range keptInPlace {
		if after[name] != before[name] {
			t.Errorf("index %s: built again, want it left in place (the import cannot restore it whole)", name)
		}
	}
	pks := primaryKeys(t, dst)
	if len(pks) != len(appTables) {
		t.Errorf("primary keys: got %v, want one of each app table", pks)
	}
	for _, name := range pks {
		if after[name] != before[name] {
			t.Errorf("primary key %s: built again, want it kept through the load", name)
		}
	}
	if steps != len(built) {
		t.Errorf("progress counted %d index builds, want %d", steps, len(built))
	}
	sameTables(t, map[string]string{"exams": appChecksums(t, src)["exams"]}, appChecksums(t, dst))
}

// TestDuplicateKeyFailsTheImport imports dumps whose rows break a primary key (kept
// through the load: the row fails), a unique constraint, a unique expression index
// and an exclusion constraint (built after the load): each fails with the table
// and the constraint or index named, without the value, as the dump's fault,
// and leaves staging as it was, indexes included.
func TestDuplicateKeyFailsTheImport(t *testing.T) {
	t.Parallel()
	ts := inPlaceTablespace(t)
	dst := examsDB(t, ts, true, "")
	data := pgtest.Checksums(t, dst)
	wantDefs, wantOIDs := indexes(t, dst)
	for _, c := range []struct {
		name, change, want, value string
	}{
		{"primary key", `ALTER TABLE users DROP CONSTRAINT users_pkey CASCADE; UPDATE users SET id = 3 WHERE id = 5`,
			`load table "users": duplicate key value violates unique constraint "users_pkey" (SQLSTATE 23505); key (id) already exists, table "users", row 5, constraint "users_pkey"`, ""},
		{"unique constraint", `ALTER TABLE letter_acknowledgements DROP CONSTRAINT letter_acknowledgements_parental_letter_id_student_id_key;
			UPDATE letter_acknowledgements SET parental_letter_id = 3 WHERE id = 3`,
			`unique constraint "letter_acknowledgements_parental_letter_id_student_id_key" of table "letter_acknowledgements" does not hold for the dump's rows`, ""},
		{"unique expression index", `DROP INDEX users_email_key; UPDATE users SET email = 'PAULA.Parent@example.org' WHERE id = 5`,
			`unique index "users_email_key" of table "users" does not hold for the dump's rows: could not create unique index "users_email_key" (SQLSTATE 23505); key (lower(email)) is duplicated`, "paula"},
		{"exclusion constraint", `ALTER TABLE exams DROP CONSTRAINT exams_one_a_day; UPDATE exams SET held_on = '2026-11-02' WHERE code IS NULL AND school_class_id = 1`,
			`exclusion constraint "exams_one_a_day" of table "exams" does not hold for the dump's rows`, "2026"},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := examsDB(t, ts, true, c.change)
			_, err := transfer.Import(context.Background(), conn(t, dst), transfer.Bytes(export(t, src, true)), transfer.ImportOptions{Anonymizer: rawAnon(t)})
			if err == nil {
				t.Fatal("import succeeded, want an error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q\nwant it to contain %q", err, c.want)
			}
			if c.value != "" && strings.Contains(strings.ToLower(err.Error()), c.value) {
				t.Errorf("error %q names the value", err)
			}
			if !errors.Is(err, transfer.ErrBadDump) {
				t.Errorf("error %v: want it marked as a bad dump (not retried)", err)
			}
			pgtest.ExpectUnchanged(t, dst, data, "a failed import")
			gotDefs, gotOIDs := indexes(t, dst)
			sameIndexes(t, wantDefs, gotDefs)
			if !maps.Equal(wantOIDs, gotOIDs) {
				t.Errorf("indexes are other objects after the failed import: got %v, want %v", gotOIDs, wantOIDs)
			}
		})
	}
}

// TestPreviewLeavesIndexesInPlace runs a preview: inside it, before it rolls back,
// every index is built again as it was; afterwards the indexes are the very
// objects they were.
func TestPreviewLeavesIndexesInPlace(t *testing.T) {
	t.Parallel()
	src := pgtest.NewPool(t, pgtest.NewDB(t))
	dst := pgtest.NewPool(t, pgtest.NewDB(t))
	seed(t, src)
	seed(t, dst)
	wantDefs, wantOIDs := indexes(t, dst)
	var inside map[string]uint32
	res, err := transfer.Import(context.Background(), conn(t, dst), transfer.Bytes(export(t, src, true)), transfer.ImportOptions{
		Anonymizer: anon(t), DryRun: true, BeforeCommit: func(_ context.Context, tx pgx.Tx, _ *wippidu.ImportResult) error {
			var defs []string
			defs, inside = indexes(t, tx)
			sameIndexes(t, wantDefs, defs)
			return nil
		}})
	if err != nil || !res.Preview {
		t.Fatalf("preview: %v %+v", err, res)
	}
	if inside["users_email_key"] == wantOIDs["users_email_key"] {
		t.Error("users_email_key inside the preview is the index from before, want it built again after the load")
	}
	gotDefs, gotOIDs := indexes(t, dst)
	sameIndexes(t, wantDefs, gotDefs)
	if !maps.Equal(wantOIDs, gotOIDs) {
		t.Errorf("indexes are other objects after the preview: got %v, want %v", gotOIDs, wantOIDs)
	}
}
