package schema

import (
	"strings"

	"github.com/jackc/pgx/v5"
)

// IndexKind is what an index enforces, in the words an error message uses.
type IndexKind string

// The kinds of index: a plain or unique index of its own, or the index behind a
// primary key, unique or exclusion constraint.
const (
	PlainIndex          IndexKind = "index"
	UniqueIndex         IndexKind = "unique index"
	PrimaryKey          IndexKind = "primary key"
	UniqueConstraint    IndexKind = "unique constraint"
	ExclusionConstraint IndexKind = "exclusion constraint"
)

// Enforces reports whether building the index checks the rows: a unique or
// exclusion rule that rows can break.
func (k IndexKind) Enforces() bool { return k != PlainIndex }

// Index is an index of an app table with the statements that drop it for a bulk
// load and build it again exactly as it was: its name, kind, columns and
// expressions, operator classes, collations, sort order, INCLUDE columns,
// predicate, NULLS NOT DISTINCT, storage parameters, deferrability and
// tablespace. Loading into a table without its indexes and then building each
// index in one sort is far faster than inserting every row into every index.
//
// LoadCatalog lists only indexes those statements bring back whole. An index
// that is not valid, is clustered on or is the table's replica identity, has a
// comment or a statistics target of its own, belongs to an extension, or
// belongs to a partitioned table or a partition is not listed: it stays in
// place through a load.
type Index struct {
	Table string // the table it is on
	Name  string // the index's name
	Kind  IndexKind
	// Constraint is the name of the constraint the index backs; "" for an index
	// of its own.
	Constraint string
	// Definition is pg_get_indexdef() for an index of its own, and for a
	// constraint pg_get_constraintdef() with the index's storage parameters.
	Definition string
	Tablespace string // "" for the database's default tablespace
}

// DropSQL is the statement that drops the index, or the constraint it backs.
func (ix Index) DropSQL() string {
	if ix.Constraint != "" {
		return "ALTER TABLE " + pgx.Identifier{ix.Table}.Sanitize() + " DROP CONSTRAINT " + pgx.Identifier{ix.Constraint}.Sanitize()
	}
	return "DROP INDEX " + pgx.Identifier{ix.Name}.Sanitize()
}

// CreateSQL is what builds the index again from the table's rows: a unique or
// exclusion index checks every row as it is built. It sets default_tablespace
// for the rest of the transaction (neither statement can name a tablespace in a
// way that fits every definition: a predicate follows the tablespace).
func (ix Index) CreateSQL() string {
	stmt := ix.Definition
	if ix.Constraint != "" {
		stmt = "ALTER TABLE " + pgx.Identifier{ix.Table}.Sanitize() + " ADD CONSTRAINT " + pgx.Identifier{ix.Constraint}.Sanitize() + " " + ix.Definition
	}
	return "SET LOCAL default_tablespace = " + quoteLiteral(ix.Tablespace) + "; " + stmt
}

// quoteLiteral quotes s as an SQL string literal (standard_conforming_strings,
// which PostgreSQL 15 always has on).
func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

const catalogIndexesSQL = `
SELECT c.relname, ic.relname, i.indisunique, COALESCE(con.conname::text, ''), COALESCE(con.contype::text, ''),
       CASE WHEN con.oid IS NULL THEN pg_get_indexdef(i.indexrelid) ELSE pg_get_constraintdef(con.oid) END,
       COALESCE(ic.reloptions, '{}'), COALESCE(con.condeferrable, false), COALESCE(con.condeferred, false),
       COALESCE(ts.spcname::text, '')
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x')
LEFT JOIN pg_tablespace ts ON ts.oid = ic.reltablespace
WHERE n.nspname = current_schema() AND c.relkind = 'r' AND NOT c.relispartition
  AND i.indisvalid AND i.indisready AND i.indislive AND NOT i.indisclustered AND NOT i.indisreplident
  AND NOT EXISTS (SELECT 1 FROM pg_description d
                  WHERE (d.classoid = 'pg_class'::regclass AND d.objoid = i.indexrelid)
                     OR (d.classoid = 'pg_constraint'::regclass AND d.objoid = con.oid))
  AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = i.indexrelid AND a.attstattarget >= 0)
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = i.indexrelid AND d.deptype = 'e')
ORDER BY c.relname, i.indisprimary DESC, ic.relname`

// indexRow is one row of catalogIndexesSQL.
type indexRow struct {
	Index
	unique             bool
	contype            string
	options            []string // pg_class.reloptions of the index: name=value
	deferrable, deferd bool
}

// scans are the destinations of a row of catalogIndexesSQL, the table's name first.
func (r *indexRow) scans(table *string) []any {
	return []any{table, &r.Name, &r.unique, &r.Constraint, &r.contype, &r.Definition, &r.options, &r.deferrable, &r.deferd, &r.Tablespace}
}

// index is the row as an Index of table.
func (r *indexRow) index(table string) Index {
	ix := r.Index
	ix.Table = table
	switch {
	case r.contype == "p":
		ix.Kind = PrimaryKey
	case r.contype == "u":
		ix.Kind = UniqueConstraint
	case r.contype == "x":
		ix.Kind = ExclusionConstraint
	case r.unique:
		ix.Kind = UniqueIndex
	default:
		ix.Kind = PlainIndex
	}
	if (r.contype == "p" || r.contype == "u") && len(r.options) > 0 {
		ix.Definition = withStorage(ix.Definition, r.options, r.deferrable, r.deferd)
	}
	return ix
}

// withStorage puts an index's storage parameters into the definition of the
// primary key or unique constraint it backs: pg_get_constraintdef leaves them
// out of these two (an exclusion constraint's definition has them). They go
// where the constraint's syntax has them, before DEFERRABLE.
func withStorage(def string, options []string, deferrable, deferred bool) string {
	var tail string
	if deferred {
		tail = " INITIALLY DEFERRED" + tail
		def = strings.TrimSuffix(def, " INITIALLY DEFERRED")
	}
	if deferrable {
		tail = " DEFERRABLE" + tail
		def = strings.TrimSuffix(def, " DEFERRABLE")
	}
	params := make([]string, len(options))
	for i, o := range options {
		name, value, _ := strings.Cut(o, "=")
		params[i] = pgx.Identifier{name}.Sanitize() + " = " + quoteLiteral(value)
	}
	return def + " WITH (" + strings.Join(params, ", ") + ")" + tail
}
