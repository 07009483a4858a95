package schema

import (
	"context"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5"
)

// LocalMark begins the comment of every table that belongs to this instance alone
// (COMMENT ON TABLE … IS 'local: …'), set by the migration of the package that owns
// it: its import/export history, its web sessions, its login limits. Local tables,
// River's queue and the migration bookkeeping are never in the catalog, so they are
// never exported, never imported and never truncated by an import.
const LocalMark = "local:"

// Catalog is the set of app tables this instance has, read from PostgreSQL's catalog.
// Only names found here are ever used in SQL built by an export or import.
type Catalog struct {
	Tables []*Table // in dependency order: referenced tables before referencing ones
	byName map[string]*Table
}

// Table is one app table.
type Table struct {
	Name        string
	Columns     []Column
	ForeignKeys []ForeignKey // constraints declared on this table
	Sequences   []Sequence   // sequences owned by this table's columns (serial/identity)
	// Indexes are the indexes a bulk load may drop and build again: the primary
	// key first, whose duplicates would break other unique indexes too, then by
	// name.
	Indexes []Index
}

// Column is one column of an app table, in attnum order.
type Column struct {
	Name       string
	Type       string // format_type(), e.g. "bigint", "timestamp with time zone", "text[]"
	NotNull    bool
	HasDefault bool
}

// ForeignKey is a foreign-key constraint with its definition, so that it can be
// dropped for a bulk load and added back (which checks every row).
type ForeignKey struct {
	Table      string // the table it is declared on
	Name       string
	RefTable   string
	Columns    []string // the referencing columns, in key order
	Definition string   // pg_get_constraintdef()
}

// DropSQL is the statement that drops the constraint.
func (fk ForeignKey) DropSQL() string {
	return "ALTER TABLE " + pgx.Identifier{fk.Table}.Sanitize() + " DROP CONSTRAINT " + pgx.Identifier{fk.Name}.Sanitize()
}

// AddSQL is the statement that adds the constraint back, checking every row.
func (fk ForeignKey) AddSQL() string {
	return "ALTER TABLE " + pgx.Identifier{fk.Table}.Sanitize() + " ADD CONSTRAINT " + pgx.Identifier{fk.Name}.Sanitize() + " " + fk.Definition
}

// MaxIdentBytes is PostgreSQL's limit on identifiers (NAMEDATALEN - 1).
const MaxIdentBytes = 63

// IsIdent reports whether s is a name the app's schema can have: lowercase ASCII
// snake_case (letters, digits after the first byte, underscores), at most
// MaxIdentBytes. Names from a dump or a policy file are checked against it before
// they are shown or looked up.
func IsIdent(s string) bool {
	if s == "" || len(s) > MaxIdentBytes {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '_' && (c < 'a' || c > 'z') && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// Sequence is a sequence owned by a column.
type Sequence struct {
	Schema string
	Name   string
	Column string
}

// NewCatalog returns a catalog of the given tables, in their order (tools and
// tests that describe a schema without a database).
func NewCatalog(tables ...*Table) *Catalog {
	c := &Catalog{Tables: tables, byName: map[string]*Table{}}
	for _, t := range tables {
		c.byName[t.Name] = t
		for i := range t.ForeignKeys {
			t.ForeignKeys[i].Table = t.Name
		}
	}
	return c
}

// Table returns the table with the given name, or nil.
func (c *Catalog) Table(name string) *Table { return c.byName[name] }

// Column returns the column with the given name, or nil.
func (t *Table) Column(name string) *Column {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return &t.Columns[i]
		}
	}
	return nil
}

const catalogColumnsSQL = `
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.atthasdef
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid
WHERE n.nspname = current_schema()
  AND c.relkind IN ('r', 'p')
  AND c.relname <> 'schema_migrations' AND c.relname NOT LIKE 'river\_%'
  AND coalesce(obj_description(c.oid, 'pg_class'), '') NOT LIKE '` + LocalMark + `%'
  AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
ORDER BY c.relname, a.attnum`

const catalogForeignKeysSQL = `
SELECT c.relname, con.conname, r.relname,
       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord),
       pg_get_constraintdef(con.oid)
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_class r ON r.oid = con.confrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE con.contype = 'f' AND n.nspname = current_schema()
ORDER BY c.relname, con.conname`

const catalogSequencesSQL = `
SELECT c.relname, a.attname, sn.nspname, s.relname
FROM pg_depend d
JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
JOIN pg_namespace sn ON sn.oid = s.relnamespace
JOIN pg_class c ON c.oid = d.refobjid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid
WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
  AND d.deptype IN ('a', 'i') AND n.nspname = current_schema()
ORDER BY c.relname, a.attname`

// Querier is what LoadCatalog needs: a connection, pool or transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// LoadCatalog reads the app tables of the current schema.
func LoadCatalog(ctx context.Context, q Querier) (*Catalog, error) {
	cat := &Catalog{byName: map[string]*Table{}}
	var order []string

	var tname string
	var col Column
	err := forEachRow(ctx, q, "columns", catalogColumnsSQL, []any{&tname, &col.Name, &col.Type, &col.NotNull, &col.HasDefault}, func() error {
		t := cat.byName[tname]
		if t == nil {
			t = &Table{Name: tname}
			cat.byName[tname] = t
			order = append(order, tname)
		}
		t.Columns = append(t.Columns, col)
		return nil
	})
	if err != nil {
		return nil, err
	}
	var fk ForeignKey
	err = forEachRow(ctx, q, "foreign keys", catalogForeignKeysSQL, []any{&tname, &fk.Name, &fk.RefTable, &fk.Columns, &fk.Definition}, func() error {
		if t := cat.byName[tname]; t != nil {
			fk.Table = tname
			t.ForeignKeys = append(t.ForeignKeys, fk)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var ix indexRow
	err = forEachRow(ctx, q, "indexes", catalogIndexesSQL, ix.scans(&tname), func() error {
		if t := cat.byName[tname]; t != nil {
			t.Indexes = append(t.Indexes, ix.index(tname))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var seq Sequence
	err = forEachRow(ctx, q, "sequences", catalogSequencesSQL, []any{&tname, &seq.Column, &seq.Schema, &seq.Name}, func() error {
		if t := cat.byName[tname]; t != nil {
			t.Sequences = append(t.Sequences, seq)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	sort.Strings(order)
	cat.Tables = dependencyOrder(cat, order)
	return cat, nil
}

// forEachRow runs sql and calls fn after scanning each row into scans; errors
// say what was read.
func forEachRow(ctx context.Context, q Querier, what, sql string, scans []any, fn func() error) error {
	rows, err := q.Query(ctx, sql)
	if err == nil {
		_, err = pgx.ForEachRow(rows, scans, fn)
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	return nil
}

// dependencyOrder sorts tables so that every table comes after the tables it
// references (self-references and cycles are tolerated; ties break by name).
func dependencyOrder(cat *Catalog, names []string) []*Table {
	var out []*Table
	state := map[string]int{} // 0 new, 1 visiting, 2 done
	var visit func(string)
	visit = func(name string) {
		t := cat.byName[name]
		if t == nil || state[name] != 0 {
			return
		}
		state[name] = 1
		refs := make([]string, 0, len(t.ForeignKeys))
		for _, fk := range t.ForeignKeys {
			refs = append(refs, fk.RefTable)
		}
		sort.Strings(refs)
		for _, r := range refs {
			visit(r)
		}
		state[name] = 2
		out = append(out, t)
	}
	for _, n := range names {
		visit(n)
	}
	return out
}
