package anonymizer

import (
	"strconv"

	"github.com/wippidu/wippidu/schema"
)

// Source is what an import reads from one table for the people dictionary: the
// personal columns of a people table (with its id), or the two columns of a table
// that links people. Call Add with each row's values of Columns, in that order.
type Source struct {
	Table   string
	Columns []string

	a      *Anonymizer
	people int    // the people table, or -1 for a link table
	roles  []role // of Columns[1:], for a people table
	link   [2]Ref // for a link table
	noID   int64  // rows without a usable id, which get ids no row refers to
}

func (a *Anonymizer) source(t *schema.Table) *Source {
	info := a.tables[t.Name]
	switch {
	case info.people >= 0:
		s := &Source{Table: t.Name, Columns: []string{"id"}, a: a, people: info.people}
		for _, c := range t.Columns {
			r := a.policy.Column(t.Name, c.Name)
			if r == nil || r.Method == "" || !isPersonal(methods[r.Method].role) {
				continue
			}
			s.Columns = append(s.Columns, c.Name)
			s.roles = append(s.roles, methods[r.Method].role)
		}
		return s
	case info.link:
		s := &Source{Table: t.Name, a: a, people: -1}
		s.link = [2]Ref{info.refs[0], info.refs[len(info.refs)-1]}
		s.Columns = []string{s.link[0].Column, s.link[1].Column}
		return s
	}
	return nil
}

// Add records one row: vals are the values of Columns as the dump writes them,
// nil for NULL or a column the dump lacks.
func (s *Source) Add(vals [][]byte) {
	pp := s.a.people
	if s.people < 0 {
		a, erra := strconv.ParseInt(string(vals[0]), 10, 64)
		b, errb := strconv.ParseInt(string(vals[1]), 10, 64)
		if erra == nil && errb == nil {
			pp.link(s.link[0].People, a, s.link[1].People, b)
		}
		return
	}
	id, err := strconv.ParseInt(string(vals[0]), 10, 64)
	if err != nil {
		// Nothing refers to a row without an id, but its values are still looked
		// for in text.
		s.noID--
		id = s.noID
	}
	var f Fields
	field := f.byRole()
	for i, r := range s.roles {
		*field[r] = vals[i+1]
	}
	pp.add(s.people, id, f)
}
