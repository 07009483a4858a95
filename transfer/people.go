package transfer

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/dump"
)

// readPeople is the import's first pass over the dump, before anything is
// written. It reads the people tables (users, students, and the guardianships
// that link them) into the anonymizer's dictionary: the free-text rewrite must
// know every person before the first text, whatever order the dump's tables come
// in. And it gives the anonymizer the dump's common tokens, the allow-list of kept
// free text: from the dump's first table, where our exports write them
// (CommonTokensTable); for a dump without them (an export of an older release),
// from a census of its own over the whole dump, which costs a read of the whole
// file.
//
// With the common tokens and the people tables first, as our own exports write
// them, the pass stops after the people tables; otherwise it reads on, skipping
// every column it does not need unparsed.
func (imp *importer) readPeople(ctx context.Context, r *dump.Reader) error {
	sources := imp.anon.Prepare(imp.cat)
	imp.prog.phase(wippidu.PhasePeople, "")
	pass := &firstPass{imp: imp, r: r, sources: sources, censusTables: map[string]*anonymizer.CensusTable{}}
	imp.res.AllowList = &wippidu.AllowList{CommonWriters: anonymizer.CommonWriters, CountedBy: wippidu.CountedByExport}
	first, err := nextTable(r)
	if err != nil && err != io.EOF {
		return err
	}
	if err := imp.commonTokens(ctx, r, first); err == nil {
		first = nil // read
	} else {
		imp.log.InfoContext(ctx, "counting the common tokens of the dump's kept free text in a pass of its own", slog.Any("why", err))
		imp.res.AllowList.CountedBy = wippidu.CountedByImport
		pass.census = anonymizer.NewCensus()
		for _, ct := range imp.anon.Policy().CensusTables(imp.cat) {
			pass.censusTables[ct.Table] = ct
		}
		if first != nil && first.Name == CommonTokensTable {
			first = nil // read, and of no use
		}
	}
	if err := pass.run(ctx, first); err != nil {
		return err
	}
	if pass.census != nil {
		imp.anon.UseCensus(pass.census)
	}
	imp.res.AllowList.CommonTokens = imp.anon.CommonTokens()
	imp.anon.Sealed()
	imp.prog.state.RowsDone = 0
	return nil
}

// firstPass reads what readPeople needs, table by table.
type firstPass struct {
	imp          *importer
	r            *dump.Reader
	sources      map[string]*anonymizer.Source
	census       *anonymizer.Census // nil when the header had the common tokens
	censusTables map[string]*anonymizer.CensusTable
	seen         map[string]bool
	people       int // people tables seen
	rows         int64
}

// commonTokens gives the anonymizer the common tokens of the dump's first table
// dt; the error says why it cannot.
func (imp *importer) commonTokens(ctx context.Context, r *dump.Reader, dt *dump.Table) error {
	if dt == nil || dt.Name != CommonTokensTable {
		return errors.New("the dump does not begin with its common tokens (an export of an older release)")
	}
	tokens, k, err := readCommonTokens(r, dt)
	if err != nil {
		return err
	}
	return imp.anon.UseCommonTokens(k, tokens)
}

// run reads tables, first (if any) and those after it, until it has what it
// needs, or the dump ends.
func (p *firstPass) run(ctx context.Context, first *dump.Table) error {
	p.seen = map[string]bool{}
	for p.census != nil || p.people < len(p.sources) {
		if err := ctx.Err(); err != nil {
			return err
		}
		dt := first
		first = nil
		if dt == nil {
			var err error
			if dt, err = nextTable(p.r); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
		}
		if p.seen[dt.Name] {
			continue // the load refuses the dump; NextTable skips it unparsed
		}
		src, ct := p.sources[dt.Name], p.censusTables[dt.Name]
		if src == nil && ct == nil {
			continue
		}
		p.seen[dt.Name] = true
		if src != nil {
			p.people++
		}
		if err := p.table(ctx, dt, src, ct); err != nil {
			return err
		}
	}
	return nil
}

// table reads the rows of one table for the dictionary, the census, or both.
func (p *firstPass) table(ctx context.Context, dt *dump.Table, src *anonymizer.Source, ct *anonymizer.CensusTable) error {
	var srcIdx, ctIdx []int
	dt.Skip = make([]bool, len(dt.Columns))
	for j := range dt.Skip {
		dt.Skip[j] = true
	}
	if src != nil {
		srcIdx = columnIndexes(dt, src.Columns)
	}
	if ct != nil {
		ctIdx = columnIndexes(dt, ct.Columns)
	}
	srcVals, ctVals := make([][]byte, len(srcIdx)), make([][]byte, len(ctIdx))
	for {
		row, err := p.r.NextRow()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return badDump(err)
		}
		if src != nil {
			src.Add(rowValues(srcVals, row, srcIdx))
		}
		if ct != nil {
			p.census.Add(ct, rowValues(ctVals, row, ctIdx))
		}
		if p.rows++; p.rows%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			p.imp.prog.state.RowsDone = p.rows
			p.imp.prog.report(false)
		}
	}
}

// columnIndexes returns where each of names is among the dump's columns (-1 when
// the dump lacks it), and marks those columns to be read.
func columnIndexes(dt *dump.Table, names []string) []int {
	idx := make([]int, len(names))
	for i, name := range names {
		idx[i] = -1
		for j, c := range dt.Columns {
			if c.Name == name {
				idx[i] = j
				dt.Skip[j] = false
			}
		}
	}
	return idx
}

// rowValues fills vals with the text of the row's values at idx, nil for NULL,
// a column the dump lacks, or a value that is no string or number.
func rowValues(vals [][]byte, row []dump.Value, idx []int) [][]byte {
	for i, j := range idx {
		vals[i] = nil
		if j >= 0 && (row[j].Type == dump.String || row[j].Type == dump.Number) {
			vals[i] = row[j].Data
		}
	}
	return vals
}
