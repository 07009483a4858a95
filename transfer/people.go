package transfer

import (
	"context"
	"io"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/dump"
)

// readPeople reads the people tables of the dump (users, students, and the
// guardianships that link them) into the anonymizer's dictionary, before anything
// is written: the free-text replacement must know every person before the first
// text, whatever order the dump's tables come in. Our own exports put these tables
// first, so this pass stops after them; for another order it reads on, skipping
// every other table unparsed, until it has seen them all or the dump ends.
func (imp *importer) readPeople(ctx context.Context, r *dump.Reader) error {
	sources := imp.anon.Prepare(imp.cat)
	imp.prog.phase(wippidu.PhasePeople, "")
	seen := map[string]bool{}
	var rows int64
	for len(seen) < len(sources) {
		if err := ctx.Err(); err != nil {
			return err
		}
		dt, err := nextTable(r)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		src := sources[dt.Name]
		if src == nil || seen[dt.Name] {
			continue // NextTable skips it unparsed
		}
		seen[dt.Name] = true
		idx := make([]int, len(src.Columns))
		for i, name := range src.Columns {
			idx[i] = -1
			for j, c := range dt.Columns {
				if c.Name == name {
					idx[i] = j
				}
			}
		}
		dt.Skip = make([]bool, len(dt.Columns))
		for j := range dt.Skip {
			dt.Skip[j] = true
		}
		for _, j := range idx {
			if j >= 0 {
				dt.Skip[j] = false
			}
		}
		vals := make([][]byte, len(idx))
		for {
			row, err := r.NextRow()
			if err == io.EOF {
				break
			}
			if err != nil {
				return badDump(err)
			}
			for i, j := range idx {
				vals[i] = nil
				if j >= 0 && (row[j].Type == dump.String || row[j].Type == dump.Number) {
					vals[i] = row[j].Data
				}
			}
			src.Add(vals)
			if rows++; rows%65536 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
				imp.prog.state.RowsDone = rows
				imp.prog.report(false)
			}
		}
	}
	imp.anon.Sealed()
	imp.prog.state.RowsDone = 0
	return nil
}
