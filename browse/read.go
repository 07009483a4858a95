package browse

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/wippidu/wippidu/schema"
)

// setTimeoutsSQL bounds every statement of the transaction and every lock wait.
const setTimeoutsSQL = `SELECT set_config('statement_timeout', $1, true), set_config('lock_timeout', $2, true)`

// primaryKeySQL lists the primary-key columns of a table of the current schema,
// in key order.
const primaryKeySQL = `
SELECT a.attname
FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY (i.indkey)
WHERE i.indisprimary AND c.relname = $1 AND n.nspname = current_schema()
ORDER BY array_position(i.indkey::int2[], a.attnum)`

// boundedCountSQL counts the rows of table, but stops at $1.
func boundedCountSQL(table string) string {
	return `SELECT count(*) FROM (SELECT FROM ` + pgx.Identifier{table}.Sanitize() + ` LIMIT $1) AS bounded`
}

// count counts a table exactly up to ExactCountLimit, and estimates beyond.
func (r *Reader) count(ctx context.Context, tx pgx.Tx, table string) (Count, error) {
	limit := r.cfg.ExactCountLimit
	var n int64
	if err := tx.QueryRow(ctx, boundedCountSQL(table), limit+1).Scan(&n); err != nil {
		return Count{}, err
	}
	if n <= limit {
		return Count{Rows: n, Kind: CountExact}, nil
	}
	est, err := schema.EstimateRows(ctx, tx, table)
	if err != nil {
		return Count{}, err
	}
	if est > limit {
		return Count{Rows: est, Kind: CountAbout}, nil
	}
	return Count{Rows: limit, Kind: CountMoreThan}, nil
}

// selectPageSQL selects one page of t ($1 rows from row $2 on): each column as
// text cut to one more character than it shows, bytea as its length and first
// head bytes, ordered by orderBy.
func selectPageSQL(t *schema.Table, cols []Column, orderBy []string, runes, head int) string {
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, c := range t.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		id := pgx.Identifier{c.Name}.Sanitize()
		switch {
		case c.Type == "bytea":
			b.WriteString("octet_length(" + id + "), substring(" + id + " FROM 1 FOR " + strconv.Itoa(head) + ")")
		case cols[i].Secret:
			b.WriteString("left(" + id + "::text, " + strconv.Itoa(SecretRunes+1) + ")")
		default:
			b.WriteString("left(" + id + "::text, " + strconv.Itoa(runes+1) + ")")
		}
	}
	b.WriteString(" FROM " + pgx.Identifier{t.Name}.Sanitize())
	for i, c := range orderBy {
		if i == 0 {
			b.WriteString(" ORDER BY ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(pgx.Identifier{c}.Sanitize())
	}
	b.WriteString(" LIMIT $1 OFFSET $2")
	return b.String()
}

// orderOf is the primary key of t, or its id column when it has none; empty when
// it has neither (then rows come in storage order).
func orderOf(ctx context.Context, tx pgx.Tx, t *schema.Table) ([]string, error) {
	rows, err := tx.Query(ctx, primaryKeySQL, t.Name)
	if err != nil {
		return nil, fmt.Errorf("read primary key: %w", err)
	}
	key, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("read primary key: %w", err)
	}
	for _, c := range key {
		if t.Column(c) == nil { // not a column the catalog lists: never named
			return nil, fmt.Errorf("primary key column %q is not in the catalog", c)
		}
	}
	if len(key) == 0 && t.Column("id") != nil {
		key = []string{"id"}
	}
	return key, nil
}

// readPage fills p with its rows: one more than a page is read, to know whether
// there is a next one.
func (r *Reader) readPage(ctx context.Context, tx pgx.Tx, t *schema.Table, p *TablePage) error {
	order, err := orderOf(ctx, tx, t)
	if err != nil {
		return err
	}
	p.OrderBy = order
	if p.OrderBy == nil {
		p.OrderBy = []string{}
	}
	offset := (p.Page - 1) * r.cfg.PageRows
	rows, err := tx.Query(ctx, selectPageSQL(t, p.Columns, order, r.cfg.MaxValueRunes, r.cfg.SniffBytes), r.cfg.PageRows+1, offset)
	if err != nil {
		return err
	}
	defer rows.Close()
	// One destination per selected value: text, or a bytea's length and head.
	texts := make([]*string, len(t.Columns))
	sizes := make([]*int64, len(t.Columns))
	heads := make([][]byte, len(t.Columns))
	var dest []any
	for i, c := range t.Columns {
		if c.Type == "bytea" {
			dest = append(dest, &sizes[i], &heads[i])
		} else {
			dest = append(dest, &texts[i])
		}
	}
	p.Rows = [][]Value{}
	for rows.Next() {
		if len(p.Rows) == r.cfg.PageRows {
			p.Next = p.Page + 1
			break
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		row := make([]Value, len(t.Columns))
		for i, c := range t.Columns {
			switch {
			case c.Type == "bytea":
				row[i] = binaryValue(sizes[i], heads[i])
			case p.Columns[i].Secret:
				row[i] = textValue(texts[i], SecretRunes)
			default:
				row[i] = textValue(texts[i], r.cfg.MaxValueRunes)
			}
		}
		p.Rows = append(p.Rows, row)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	switch {
	case p.Page == 1:
	case len(p.Rows) == 0 && p.Count.Kind == CountExact:
		// Past the end: back to the last page that has rows.
		p.Prev = max(1, int((p.Count.Rows+int64(r.cfg.PageRows)-1)/int64(r.cfg.PageRows)))
	default:
		p.Prev = p.Page - 1
	}
	if p.Next > r.cfg.MaxPage {
		p.Next = 0
	}
	return nil
}
