package anonymizer

import (
	"slices"
	"strconv"

	"github.com/wippidu/wippidu/schema"
)

// CensusTable is what the census reads of one table: who wrote each row, and the
// kept free-text columns whose words it counts. Read the table's Columns, in that
// order, and give each row to Census.Add; tables in the catalog's order
// (referenced tables first), so that a row whose writer is another row's (an
// attachment, its message's) finds that row counted.
type CensusTable struct {
	Table   string
	Columns []string // the writer columns, the id when Record, then the texts

	writers []writerColumn
	idAt    int // index of the id in Columns, -1 when not recorded
	shapes  []shape
	// record says other tables find their writer through this table's rows.
	record bool
}

// writerColumn is a column that says who wrote a row: a person it refers to, or
// (via) a row of another table whose writer is this row's too.
type writerColumn struct {
	column string
	people int    // the people table it refers to, -1 for via
	via    string // the table it refers to
}

// CensusTables lists what the census reads, in the catalog's order: each table
// with kept free-text columns (reason text or json), and each table whose rows
// give another table its writers. The writer of a row is, in this order of
// preference: the person it is (users), the first person it refers to that is not
// NULL (a message's sender, a letter's author, a class's teacher), the writer of
// the first row it refers to that has one (an attachment's message or letter);
// else the row itself counts as its own writer.
func (p *Policy) CensusTables(cat *schema.Catalog) []*CensusTable {
	infos := p.tableInfos(cat)
	var out []*CensusTable
	byName := map[string]*CensusTable{}
	for _, t := range cat.Tables {
		ct := &CensusTable{Table: t.Name, idAt: -1}
		ct.writers = writersOf(infos, t, byName)
		for _, c := range t.Columns {
			if r := p.Column(t.Name, c.Name); r != nil && r.Anonymizer == Keep && IsFreeText(r.Reason) && shapeOf(c.Type) != shapeNone {
				ct.Columns = append(ct.Columns, c.Name)
				ct.shapes = append(ct.shapes, shapeOf(c.Type))
			}
		}
		byName[t.Name] = ct
		out = append(out, ct)
	}
	var kept []*CensusTable
	for _, ct := range out {
		if len(ct.shapes) == 0 && !ct.record {
			continue
		}
		texts := ct.Columns
		ct.Columns = nil
		for _, w := range ct.writers {
			ct.Columns = append(ct.Columns, w.column)
		}
		if ct.record {
			ct.idAt = len(ct.Columns)
			ct.Columns = append(ct.Columns, "id")
		}
		ct.Columns = append(ct.Columns, texts...)
		kept = append(kept, ct)
	}
	return kept
}

// IsFreeText reports whether a kept column's reason makes it free text, which
// reaches staging by allow-list; other kept text must have its reason's shape.
func IsFreeText(reason string) bool { return reason == "text" || reason == "json" }

// writersOf returns the columns of t that name a row's writer, marking the tables
// it finds writers through.
func writersOf(infos map[string]*tableInfo, t *schema.Table, seen map[string]*CensusTable) []writerColumn {
	info := infos[t.Name]
	if info.people >= 0 {
		return []writerColumn{{column: "id", people: info.people}}
	}
	var out []writerColumn
	for _, r := range info.refs {
		out = append(out, writerColumn{column: r.Column, people: r.People})
	}
	for _, fk := range t.ForeignKeys {
		via := seen[fk.RefTable]
		if len(fk.Columns) != 1 || via == nil || len(via.writers) == 0 || infos[fk.RefTable].people >= 0 ||
			slices.ContainsFunc(out, func(w writerColumn) bool { return w.column == fk.Columns[0] }) {
			continue
		}
		via.record = true
		out = append(out, writerColumn{column: fk.Columns[0], people: -1, via: fk.RefTable})
	}
	return out
}

// Add counts one row of t: vals are the values of t.Columns as a dump writes
// them (text), nil for NULL.
func (c *Census) Add(t *CensusTable, vals [][]byte) {
	c.rows++
	w := c.writerOf(t, vals)
	if t.record {
		if id, err := strconv.ParseInt(string(vals[t.idAt]), 10, 64); err == nil {
			c.recorded(t.Table).set(id, w)
		}
	}
	texts := vals[len(vals)-len(t.shapes):]
	for i, v := range texts {
		if v != nil {
			c.add(w, t.shapes[i], v)
		}
	}
}

// writerOf is the writer of a row of t.
func (c *Census) writerOf(t *CensusTable, vals [][]byte) uint32 {
	for i, w := range t.writers {
		v := vals[i]
		if v == nil {
			continue
		}
		if w.via == "" {
			return writerKey(c.seed, peopleKind(w.people), v)
		}
		id, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			continue
		}
		if k, ok := c.recorded(w.via).get(id); ok {
			return k
		}
	}
	return writerKey(c.seed, "row "+t.Table, strconv.AppendInt(nil, c.rows, 10))
}
