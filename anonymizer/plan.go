package anonymizer

import (
	"fmt"
	"strings"

	"github.com/wippidu/wippidu/schema"
)

// Action says how a column's values reach staging.
type Action uint8

const (
	// Copy loads the dump's value as it is: a kept column that cannot hold text,
	// or, with the risk acknowledged, a switched-off one.
	Copy Action = iota
	// Replace writes the method's value instead.
	Replace
	// Scrub loads kept text rebuilt: free text by the allow-list, a structured
	// value only when it has its reason's shape.
	Scrub
)

// Read values for Column.Read.
const (
	ReadNone = 0  // the dump's value is not needed: it may be skipped unread
	ReadAll  = -1 // the whole value is needed
)

// shape is how a text-like column holds its text.
type shape uint8

const (
	shapeNone  shape = iota // cannot hold text: numbers, times, booleans, bytes
	shapeText               // text, varchar, char
	shapeJSON               // json, jsonb
	shapeArray              // an array of text or JSON
)

// shapeOf returns the shape of a column of a PostgreSQL type (format_type()).
func shapeOf(pgType string) shape {
	t := strings.TrimSpace(pgType)
	if base, ok := strings.CutSuffix(t, "[]"); ok {
		if shapeOf(base) != shapeNone {
			return shapeArray
		}
		return shapeNone
	}
	switch {
	case t == "text", t == "citext", t == "name", strings.HasPrefix(t, "character"):
		return shapeText
	case t == "json", t == "jsonb":
		return shapeJSON
	}
	return shapeNone
}

// Column is what an import does with one column of a table.
type Column struct {
	Name   string
	Action Action
	// Read is how much of the dump's value the plan needs: ReadNone, ReadAll, or
	// the length of a prefix (of a body, for the leak check).
	Read int
	// Unscrubbed says why personal data may pass as it is: the anonymizer
	// switched off. Empty when it cannot.
	Unscrubbed string

	a         *Anonymizer
	table     string
	method    methodSpec
	shape     shape
	free      bool   // kept as text or json: rebuilt by the allow-list
	reason    string // why it is kept
	firstGood []byte // the first value of a structured column that had its shape
	keys      []Rule // the JSON keys the policy replaces
	check     int    // the leak check's column, -1 when the check does not look at it
	notNull   bool
}

// TablePlan is what an import does with a table: one Column for each column it
// loads, and the people each row refers to (fill Row.Refs from them).
type TablePlan struct {
	Table   string
	Columns []Column
	Refs    []Ref
}

// UnclassifiedError is the refusal of columns the data policy does not classify.
type UnclassifiedError struct {
	Table   string
	Columns []string
}

func (e *UnclassifiedError) Error() string {
	return fmt.Sprintf("the data policy does not classify %s: nothing is loaded unless every column the dump fills is classified, "+
		"whatever anonymizers are switched off. "+
		"Add a line for each to anonymizer/policy.conf (\"keep %s.<column> <reason>\" or \"<anonymizer> %s.<column> <method>\", see docs/data-policy.md) and deploy",
		e.Table+"."+strings.Join(e.Columns, ", "+e.Table+"."), e.Table, e.Table)
}

// Plan returns what the import does with the columns of t that staging loads:
// those the dump fills (filled reports which), and those a method fills on its own.
// Columns the policy does not classify are refused with an *UnclassifiedError,
// whatever the admin switched off: an opt-out names the anonymizers it switches
// off, and no anonymizer covers a column the policy does not know.
func (a *Anonymizer) Plan(t *schema.Table, filled func(column string) bool) (*TablePlan, error) {
	plan := &TablePlan{Table: t.Name}
	if info := a.tables[t.Name]; info != nil {
		plan.Refs = info.refs
	}
	var unclassified []string
	for _, c := range t.Columns {
		rule := a.policy.Column(t.Name, c.Name)
		if rule == nil {
			if filled(c.Name) {
				unclassified = append(unclassified, c.Name)
			}
			continue
		}
		col, ok := a.column(t.Name, c, rule, filled(c.Name))
		if ok {
			plan.Columns = append(plan.Columns, col)
		}
	}
	if len(unclassified) > 0 {
		return nil, &UnclassifiedError{Table: t.Name, Columns: unclassified}
	}
	return plan, nil
}

// column plans a classified column; false when nothing fills it.
func (a *Anonymizer) column(table string, c schema.Column, rule *Rule, filled bool) (Column, bool) {
	switch {
	case rule.Anonymizer == Keep:
		if !filled {
			return Column{}, false
		}
		col := a.copyColumn(table, c, "", true)
		if col.shape != shapeNone {
			col.Action, col.free, col.reason = Scrub, IsFreeText(rule.Reason), rule.Reason
			col.keys = a.policy.keyRules(table, c.Name)
		}
		return col, true
	case a.off[rule.Anonymizer]:
		if !filled {
			return Column{}, false
		}
		// A body is listed as unscrubbed whole: counting what it holds would
		// tell nothing more, and copies of bodies elsewhere are no worse than the
		// bodies themselves, which the admin chose to load.
		return a.copyColumn(table, c, rule.Anonymizer+" switched off", methods[rule.Method].role != roleBody), true
	}
	m := methods[rule.Method]
	if m.value && !filled {
		return Column{}, false
	}
	col := Column{Name: c.Name, Action: Replace, a: a, table: table, method: m, check: -1, notNull: c.NotNull}
	switch {
	case m.value:
		col.Read = ReadAll
	case m.role == roleBody && filled:
		col.Read = bodyPrefixBytes
	}
	return col, true
}

// copyColumn plans a column loaded as it is; unscrubbed says why it may hold
// personal data, checked whether the leak check looks at it.
func (a *Anonymizer) copyColumn(table string, c schema.Column, unscrubbed string, checked bool) Column {
	col := Column{Name: c.Name, Action: Copy, Read: ReadAll, Unscrubbed: unscrubbed, a: a, table: table,
		shape: shapeOf(c.Type), check: -1, notNull: c.NotNull}
	if checked && col.shape != shapeNone {
		col.check = a.leaks.column(table + "." + c.Name)
	}
	return col
}

// Replace appends the method's value for row to dst; null reports a NULL.
// row.Value holds what Read asked for. The error refuses a value the method
// cannot derive from; it names no value.
func (c *Column) Replace(dst []byte, row *Row) ([]byte, bool, error) {
	if c.method.role == roleBody {
		c.a.leaks.body(c.a.people, row.Value)
	}
	if c.method.valid != nil {
		if err := c.method.valid(row.Value); err != nil {
			return dst, false, err
		}
	}
	r := *row
	r.Table, r.NotNull = c.table, c.notNull
	out, null := c.method.fn(c.a, dst, r)
	return out, null, nil
}

// Scrub appends text, a kept value, to dst rebuilt (free text by the allow-list,
// a structured value by its shape), and shows the result to the leak check.
func (c *Column) Scrub(dst, text []byte, row *Row) ([]byte, error) {
	s := c.a.scrubberFor(row)
	each := c.scrubString
	if !c.free {
		each = c.structured
	}
	switch c.shape {
	case shapeJSON:
		return c.scrubJSON(dst, text, s)
	case shapeArray:
		return scrubArray(dst, text, func(dst, elem []byte) []byte { return each(dst, elem, s) })
	}
	return each(dst, text, s), nil
}

// scrubString rebuilds one text of free text, counts what it replaced and has it
// checked.
func (c *Column) scrubString(dst, text []byte, s *scrubber) []byte {
	base := len(dst)
	s.spans = s.spans[:0]
	dst = s.text(dst, text, base)
	for _, e := range s.edits {
		c.a.leaks.replaced(c.check, e.kind)
	}
	c.a.leaks.check(c.a, c.check, dst[base:], s.spans, checkFree)
	return dst
}

// Check shows a value loaded as it is to the leak check (Copy columns that can
// hold text).
func (c *Column) Check(text []byte) {
	if c.check >= 0 {
		c.a.leaks.check(c.a, c.check, text, nil, checkPersonal)
	}
}

// scrubberFor returns the scrubber for one row's values.
func (a *Anonymizer) scrubberFor(row *Row) *scrubber {
	s := &a.scrub
	if s.row != row || s.rowSeq != row.Seq || s.rowTable != row.Table {
		*s = scrubber{a: a, pp: a.people, row: row, rowSeq: row.Seq, rowTable: row.Table,
			ctx: s.ctx[:0], spans: s.spans, m: s.m, edits: s.edits, repl: s.repl, key: s.key}
	}
	return s
}
