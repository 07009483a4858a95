package transfer

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/dump"
	"github.com/wippidu/wippidu/internal/readahead"
	"github.com/wippidu/wippidu/schema"
)

// load reads the dump's tables and loads each that staging has with COPY,
// anonymized on the way in; tables and columns on one side only are listed.
func (imp *importer) load(ctx context.Context, r *dump.Reader) error {
	res := imp.res
	seen := map[string]bool{}
	for {
		dt, err := nextTable(r)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if seen[dt.Name] {
			return rejected(fmt.Errorf("table %q appears twice in the dump", dt.Name))
		}
		seen[dt.Name] = true
		if dt.Name == CommonTokensTable {
			continue // read by readPeople
		}
		st := imp.cat.Table(dt.Name)
		if st == nil {
			res.SkippedTables = append(res.SkippedTables, dt.Name)
			continue
		}
		imp.prog.phase(wippidu.PhaseLoading, st.Name)
		n, err := imp.copyTable(ctx, r, dt, st)
		if err != nil {
			return err
		}
		res.Tables = append(res.Tables, wippidu.TableCount{Name: st.Name, Rows: n})
		res.Rows += n
	}
	for _, t := range imp.cat.Tables {
		if !seen[t.Name] {
			res.MissingTables = append(res.MissingTables, t.Name)
			res.Tables = append(res.Tables, wippidu.TableCount{Name: t.Name})
		}
	}
	return nil
}

// nextTable starts the dump's next table, refusing a name no wippidu schema has;
// io.EOF after the last one.
func nextTable(r *dump.Reader) (*dump.Table, error) {
	dt, err := r.NextTable()
	if err == io.EOF {
		return nil, err
	}
	if err != nil {
		return nil, badDump(err)
	}
	if err := checkNames(dt); err != nil {
		return nil, rejected(err)
	}
	return dt, nil
}

// colPlan says where a loaded column's values come from and what happens to them.
type colPlan struct {
	anonymizer.Column
	src  int             // index in the dump's row; -1 when the dump lacks the column
	kind dump.Kind       // how staging's type is encoded
	bin  dump.BinaryType // staging's type in binary COPY format
}

// tablePlan binds the anonymizer's plan for a table to the dump's columns.
func (imp *importer) tablePlan(dt *dump.Table, st *schema.Table) ([]colPlan, *rowContext, error) {
	srcIdx := map[string]int{}
	for i, c := range dt.Columns {
		srcIdx[c.Name] = i
	}
	plan, err := imp.anon.Plan(st, func(col string) bool { _, ok := srcIdx[col]; return ok })
	if err != nil {
		var uc *anonymizer.UnclassifiedError
		if errors.As(err, &uc) {
			return nil, nil, rejected(err)
		}
		return nil, nil, err
	}
	dt.Skip = make([]bool, len(dt.Columns))
	dt.Prefix = make([]int, len(dt.Columns))
	dt.Spill = make([]bool, len(dt.Columns))
	for i, c := range dt.Columns {
		dt.Skip[i] = true
		if st.Column(c.Name) == nil {
			imp.res.SkippedColumns = append(imp.res.SkippedColumns, st.Name+"."+c.Name)
		}
	}
	var cols []colPlan
	planned := map[string]bool{}
	for _, c := range plan.Columns {
		typ := st.Column(c.Name).Type
		p := colPlan{Column: c, src: -1, kind: dump.KindOf(typ), bin: dump.BinaryTypeOf(typ)}
		if i, ok := srcIdx[c.Name]; ok {
			p.src = i
			switch {
			case c.Read == anonymizer.ReadAll:
				dt.Skip[i] = false
			case c.Read > 0:
				dt.Prefix[i] = c.Read
			}
			// A bytea value loaded as it is may be streamed from a file (largeValue).
			dt.Spill[i] = c.Read == anonymizer.ReadAll && c.Action == anonymizer.Copy && p.kind == dump.KindBytea
		}
		if c.Unscrubbed != "" {
			imp.res.Unscrubbed = append(imp.res.Unscrubbed, wippidu.UnscrubbedColumn{Column: st.Name + "." + c.Name, Why: c.Unscrubbed})
		}
		planned[c.Name] = true
		cols = append(cols, p)
	}
	for _, c := range st.Columns {
		if !planned[c.Name] {
			imp.res.MissingColumns = append(imp.res.MissingColumns, st.Name+"."+c.Name)
		}
	}
	rc := &rowContext{row: anonymizer.Row{Table: st.Name, Refs: append([]anonymizer.Ref(nil), plan.Refs...)}, idIdx: -1}
	if i, ok := srcIdx["id"]; ok && st.Column("id") != nil {
		rc.idIdx = i
		dt.Skip[i] = false
	}
	for _, ref := range plan.Refs {
		i, ok := srcIdx[ref.Column]
		if !ok {
			i = -1
		} else {
			dt.Skip[i] = false
		}
		rc.refIdx = append(rc.refIdx, i)
	}
	return cols, rc, nil
}

// rowContext is what the anonymizer may know of the row it works on.
type rowContext struct {
	row    anonymizer.Row
	idIdx  int   // the dump's id column, -1 when it has none
	refIdx []int // the dump's columns of row.Refs, -1 where it lacks one
}

// fill points the row context at the current row.
func (rc *rowContext) fill(row []dump.Value, seq int64) {
	rc.row.Seq, rc.row.ID, rc.row.Value = seq, nil, nil
	if rc.idIdx >= 0 && row[rc.idIdx].Type == dump.Number {
		rc.row.ID = row[rc.idIdx].Data
	}
	for k, i := range rc.refIdx {
		rc.row.Refs[k].ID = 0
		if i >= 0 && row[i].Type == dump.Number {
			rc.row.Refs[k].ID, _ = strconv.ParseInt(string(row[i].Data), 10, 64)
		}
	}
}

func (imp *importer) copyTable(ctx context.Context, r *dump.Reader, dt *dump.Table, st *schema.Table) (int64, error) {
	plan, rc, err := imp.tablePlan(dt, st)
	if err != nil {
		return 0, err
	}
	if len(plan) == 0 {
		// Nothing of this table can be loaded; its rows are still read and counted.
		var n int64
		for {
			if _, err := r.NextRow(); err == io.EOF {
				return n, nil
			} else if err != nil {
				return n, badDump(err)
			}
			n++
		}
	}
	idents := make([]string, len(plan))
	for i, p := range plan {
		idents[i] = pgx.Identifier{p.Name}.Sanitize()
	}
	kinds := make([]dump.Kind, len(dt.Columns))
	for i, c := range dt.Columns {
		kinds[i] = dump.KindOf(c.Type)
	}
	into := "COPY " + pgx.Identifier{st.Name}.Sanitize() + " (" + strings.Join(idents, ", ") + ") FROM STDIN"
	// A table with binary values goes in binary format where it can (dump/copybin.go);
	// a value it cannot write exactly ends that COPY, and the rest of the table
	// follows in text format, held row first.
	binary := binaryPlan(plan)
	var loaded int64
	var held []dump.Value
	base := imp.prog.state.RowsDone
	for {
		rs := &rowSource{r: r, table: st.Name, cols: dt.Columns, kinds: kinds, plan: plan, rc: rc, prog: imp.prog,
			base: base, rows: loaded, held: held, binary: binary}
		// FREEZE: the table was emptied by this transaction's TRUNCATE, so its rows
		// are written frozen and its pages all-visible. The index builds and foreign
		// key checks that follow skip per-row visibility checks, and staging's first
		// reads and vacuum do not rewrite every page to set hint bits and freeze
		// what was just loaded. Should the import roll back, the rows go with the
		// TRUNCATE's new files. (Like the TRUNCATE, not MVCC-safe for a snapshot
		// older than the commit, which no staging reader holds across a refresh.)
		sql := into + " (FREEZE)"
		if binary {
			sql = into + " (FORMAT binary, FREEZE)"
		}
		// The rows are read, anonymized and encoded on a goroutine of their own, up
		// to copyAheadChunks ahead of what pgconn sends: this work and PostgreSQL's
		// run at once instead of taking turns.
		ahead := readahead.New(rs, copyAheadChunks, copyAheadSize)
		_, err = imp.tx.Conn().PgConn().CopyFrom(ctx, ahead, sql)
		// Whether the COPY ended or failed, the source is read no more once Stop
		// returns: its counts and the dump reader are this goroutine's again.
		ahead.Stop()
		rows, rerr, next := rs.rows, rs.err, rs.textFrom
		if rerr != nil {
			return rows, rerr
		}
		if err != nil {
			return rows, pgDataError(fmt.Errorf("load table %q: %w", st.Name, err))
		}
		imp.prog.state.RowsDone = base + rows
		loaded = rows
		if next == nil {
			return loaded, nil
		}
		binary, held = false, next
	}
}

// binaryPlan reports whether a table is loaded in binary COPY format: when it has
// binary values, and every column it loads has a binary form here.
func binaryPlan(plan []colPlan) bool {
	hasBytea := false
	for _, p := range plan {
		switch p.bin {
		case dump.BinaryNone:
			return false
		case dump.BinaryBytea:
			hasBytea = true
		}
	}
	return hasBytea
}

// rowSource is the COPY FROM input of one table: it pulls rows from the dump,
// anonymizes them and encodes them as COPY text.
type rowSource struct {
	r       *dump.Reader
	table   string
	cols    []dump.Column // the dump's columns
	kinds   []dump.Kind   // their encodings, as the dump declares them
	plan    []colPlan
	rc      *rowContext
	prog    *progressTracker
	base    int64
	rows    int64
	buf     []byte
	scratch []byte
	sent    int         // bytes of buf handed to COPY
	large   []largePart // values streamed from the dump's temporary file, inside buf
	done    bool
	err     error

	binary   bool         // binary COPY format
	started  bool         // the binary header is written
	held     []dump.Value // a row read by the previous COPY, to encode first
	textFrom []dump.Value // the row that ended this binary COPY: the rest goes in text
}

const (
	copyBatch       = 64 << 10 // rows encoded at a time
	copyAheadChunks = 4        // chunks of encoded rows held ahead of the COPY
	copyAheadSize   = 256 << 10
)

// largePart is a large value (dump.Large) that goes into COPY at offset at of the
// encoded batch, read from the dump reader's temporary file.
type largePart struct {
	at int
	r  io.Reader
}

func (s *rowSource) Read(p []byte) (int, error) {
	for {
		if s.err != nil {
			return 0, s.err
		}
		end := len(s.buf)
		if len(s.large) > 0 {
			end = s.large[0].at
		}
		if s.sent < end {
			n := copy(p, s.buf[s.sent:end])
			s.sent += n
			return n, nil
		}
		if len(s.large) > 0 {
			n, err := s.large[0].r.Read(p)
			if err == io.EOF {
				s.large = s.large[1:]
				err = nil
			}
			if err != nil {
				s.err = fmt.Errorf("read a large value of table %q back: %w", s.table, err)
				return 0, s.err
			}
			if n > 0 {
				return n, nil
			}
			continue
		}
		if s.done {
			return 0, io.EOF
		}
		if err := s.fill(); err != nil {
			s.err = err
			return 0, err
		}
		if len(s.buf) == 0 && len(s.large) == 0 {
			return 0, io.EOF
		}
	}
}

// fill encodes the next batch of rows.
func (s *rowSource) fill() error {
	s.buf, s.sent = s.buf[:0], 0
	if s.binary && !s.started {
		s.buf, s.started = append(s.buf, dump.CopyBinaryHeader...), true
	}
	for len(s.buf) < copyBatch {
		row, err := s.next()
		if err == io.EOF {
			s.done = true
			break
		}
		if err != nil {
			return badDump(err)
		}
		s.rows++
		if err := s.checkTypes(row); err != nil {
			return rejected(err)
		}
		mark, marks := len(s.buf), len(s.large)
		s.buf, err = s.encode(s.buf, row)
		if errors.Is(err, dump.ErrNotBinary) {
			s.buf, s.large, s.textFrom, s.done = s.buf[:mark], s.large[:marks], row, true
			s.rows--
			break
		}
		if err != nil {
			return rejected(fmt.Errorf("table %q row %d: %w", s.table, s.rows, err))
		}
		if len(s.large) > 0 {
			// The next row would overwrite the reader's temporary file.
			break
		}
	}
	if s.binary && s.done {
		s.buf = append(s.buf, dump.CopyBinaryTrailer...)
	}
	s.prog.state.RowsDone = s.base + s.rows
	s.prog.report(false)
	return nil
}

// checkTypes checks every value of a row, loaded or not, against the JSON type its
// column's declared type calls for (docs/dump-format.md), so that a number never
// becomes bytes of a bytea column and a string never reaches a bigint. The
// messages name the place, never the value.
func (s *rowSource) checkTypes(row []dump.Value) error {
	for i, v := range row {
		if v.Type == dump.Null {
			continue
		}
		var want dump.ValueType
		switch s.kinds[i] {
		case dump.KindInt:
			want = dump.Number
			if v.Type == dump.Number && !isInteger(v.Data) {
				return fmt.Errorf("table %q row %d column %q (%s): want an integer, got a fraction or exponent", s.table, s.rows, s.cols[i].Name, s.cols[i].Type)
			}
		case dump.KindBool:
			want = dump.Bool
		default:
			want = dump.String
		}
		if v.Type != want {
			return fmt.Errorf("table %q row %d column %q (%s): want %s, got %s", s.table, s.rows, s.cols[i].Name, s.cols[i].Type, want, v.Type)
		}
	}
	return nil
}

// isInteger reports whether a JSON number has no fraction and no exponent. A
// loop: bytes.ContainsAny builds its set of three bytes for every number, which
// was 0.08 of the row goroutine's 1.6 CPU-s in a 20,000-user import.
func isInteger(num []byte) bool {
	for _, c := range num {
		if c == '.' || c == 'e' || c == 'E' {
			return false
		}
	}
	return true
}

// next is the held row first, then the dump's next.
func (s *rowSource) next() ([]dump.Value, error) {
	if row := s.held; row != nil {
		s.held = nil
		return row, nil
	}
	return s.r.NextRow()
}

// encode encodes a row for COPY, in text or binary format. A value with no exact
// binary form returns dump.ErrNotBinary, for the caller to go on in text.
func (s *rowSource) encode(b []byte, row []dump.Value) ([]byte, error) {
	s.rc.fill(row, s.rows)
	if s.binary {
		b = dump.AppendBinaryRowStart(b, len(s.plan))
	}
	for i := range s.plan {
		p := &s.plan[i]
		if i > 0 && !s.binary {
			b = append(b, '\t')
		}
		var v dump.Value
		if p.src >= 0 {
			v = row[p.src]
		}
		var err error
		switch {
		case p.src >= 0 && v.Type == dump.Null:
			b = s.null(b)
		case p.Action == anonymizer.Replace:
			b, err = s.replace(b, p, v)
		case p.Action == anonymizer.Scrub:
			b, err = s.scrub(b, p, v)
		case v.Large != nil:
			b, err = s.largeValue(b, p, v.Large)
		default:
			if v.Type == dump.String {
				p.Check(v.Data)
			}
			if s.binary {
				b, err = dump.AppendBinaryValue(b, p.bin, v)
			} else {
				b, err = dump.AppendCopy(b, v, p.kind)
			}
		}
		if errors.Is(err, dump.ErrNotBinary) {
			return b, err
		}
		if err != nil {
			return b, fmt.Errorf("column %q: %w", p.Name, err)
		}
	}
	if !s.binary {
		b = append(b, '\n')
	}
	return b, nil
}

// largeValue encodes a bytea value held in the dump reader's temporary file: its
// length (binary format) or \\x (text format) goes in b, its bytes are read from the
// file when COPY gets there.
func (s *rowSource) largeValue(b []byte, p *colPlan, l *dump.Large) ([]byte, error) {
	if p.kind != dump.KindBytea {
		return b, fmt.Errorf("a %d-byte binary value for a column that is not bytea", l.Len())
	}
	if s.binary {
		if l.Len() > math.MaxInt32 {
			return b, fmt.Errorf("a binary value of %d bytes is too large for PostgreSQL", l.Len())
		}
		b = binary.BigEndian.AppendUint32(b, uint32(l.Len()))
		s.large = append(s.large, largePart{at: len(b), r: l.Reader()})
		return b, nil
	}
	b = append(b, '\\', '\\', 'x')
	s.large = append(s.large, largePart{at: len(b), r: &hexReader{r: l.Reader()}})
	return b, nil
}

// hexReader hex-encodes what it reads, for a bytea value in COPY text format.
type hexReader struct {
	r    io.Reader
	raw  []byte
	odd  [2]byte // one byte's two digits, read for a p of one byte
	rest []byte  // what of odd is left to hand out
	err  error   // r's error, returned once rest is handed out
}

func (h *hexReader) Read(p []byte) (int, error) {
	if len(h.rest) > 0 {
		n := copy(p, h.rest)
		h.rest = h.rest[n:]
		return n, nil
	}
	if h.err != nil {
		return 0, h.err
	}
	n := len(p) / 2
	if n == 0 {
		if len(p) == 0 {
			return 0, nil
		}
		var one [1]byte
		m, err := h.r.Read(one[:])
		if m == 0 {
			return 0, err
		}
		hex.Encode(h.odd[:], one[:])
		p[0], h.rest, h.err = h.odd[0], h.odd[1:], err
		return 1, nil
	}
	if cap(h.raw) < n {
		h.raw = make([]byte, n)
	}
	m, err := h.r.Read(h.raw[:n])
	hex.Encode(p, h.raw[:m])
	return 2 * m, err
}

// null encodes NULL.
func (s *rowSource) null(b []byte) []byte {
	if s.binary {
		return dump.AppendBinaryNull(b)
	}
	return append(b, '\\', 'N')
}

// text encodes a value given in its PostgreSQL text form.
func (s *rowSource) text(b []byte, p *colPlan, out []byte) ([]byte, error) {
	if s.binary {
		return dump.AppendBinaryText(b, p.bin, out)
	}
	return dump.AppendCopyText(b, out)
}

// replace encodes the anonymizer's value for a replaced column.
func (s *rowSource) replace(b []byte, p *colPlan, v dump.Value) ([]byte, error) {
	s.rc.row.Value = v.Data
	out, null, err := p.Replace(s.scratch[:0], &s.rc.row)
	s.scratch = out
	switch {
	case err != nil:
		return b, err
	case null:
		return s.null(b), nil
	case p.kind == dump.KindBytea && s.binary:
		return dump.AppendBinaryRaw(b, out), nil
	case p.kind == dump.KindBytea:
		return dump.AppendCopyBytea(b, out), nil
	}
	return s.text(b, p, out)
}

// scrub encodes a kept text value with the dump's people replaced in it.
func (s *rowSource) scrub(b []byte, p *colPlan, v dump.Value) ([]byte, error) {
	if !utf8.Valid(v.Data) {
		return b, errors.New("invalid UTF-8 in a text value")
	}
	out, err := p.Scrub(s.scratch[:0], v.Data, &s.rc.row)
	s.scratch = out
	if err != nil {
		return b, err
	}
	return s.text(b, p, out)
}
