package transfer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/dump"
	"github.com/wippidu/wippidu/schema"
)

// ImportLockKey is the transaction-level advisory lock every import holds, so that
// only one import runs at a time across all worker processes.
const ImportLockKey int64 = 0x77697070_696d7074 // "wippimpt"

// ImportOptions configure an import.
type ImportOptions struct {
	Anonymizer    *anonymizer.Anonymizer // required
	MaxValueBytes int                    // 0 means dump.DefaultMaxValueBytes
	Progress      func(wippidu.Progress)
	// BeforeCommit runs inside the import transaction after the data is loaded and
	// checked: whatever it writes commits atomically with the data.
	BeforeCommit func(ctx context.Context, tx pgx.Tx, res *wippidu.ImportResult) error
	// BeforeLoad, if set, runs once the dump's header has been read.
	BeforeLoad func(h dump.Header) error
}

// Import replaces every app table's rows with the dump's, in one transaction on
// conn: any error leaves the database exactly as it was. Foreign keys are dropped for
// the load and added back, which checks every row; sequences end past MAX(id).
func Import(ctx context.Context, conn *pgx.Conn, src io.Reader, opts ImportOptions) (*wippidu.ImportResult, error) {
	start := time.Now()
	if opts.Anonymizer == nil {
		return nil, errors.New("import: no anonymizer configured")
	}
	var read atomic.Int64
	prog := &progressTracker{fn: opts.Progress, bytes: &read}
	prog.phase(wippidu.PhaseReading, "")
	r, err := dump.NewReader(countingReader{r: src, n: &read}, dump.ReaderOptions{MaxValueBytes: opts.MaxValueBytes})
	if err != nil {
		return nil, badDump(err)
	}
	h := r.Header()
	if opts.BeforeLoad != nil {
		if err := opts.BeforeLoad(h); err != nil {
			return nil, err
		}
	}
	res := &wippidu.ImportResult{
		SourceHost:         h.SourceHost,
		ExportedAt:         h.ExportedAt,
		SchemaVersion:      h.SchemaVersion,
		IncludeAttachments: h.IncludeAttachments,
		AnonymizersRun:     opts.Anonymizer.Ran(),
		AnonymizersSkipped: opts.Anonymizer.Skipped(),
		PasswordsReset:     !slices.Contains(opts.Anonymizer.Skipped(), anonymizer.Passwords),
		Tables:             []wippidu.TableCount{},
		SkippedTables:      []string{},
		MissingTables:      []string{},
		SkippedColumns:     []string{},
		MissingColumns:     []string{},
	}
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		return load(ctx, tx, r, res, opts, prog, start)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func load(ctx context.Context, tx pgx.Tx, r *dump.Reader, res *wippidu.ImportResult, opts ImportOptions, prog *progressTracker, start time.Time) error {
	var locked bool
	if err := tx.QueryRow(ctx, "SELECT pg_try_advisory_xact_lock($1)", ImportLockKey).Scan(&locked); err != nil {
		return fmt.Errorf("take import lock: %w", err)
	}
	if !locked {
		return ErrBusy
	}
	if _, err := tx.Exec(ctx, sessionSettingsSQL); err != nil {
		return fmt.Errorf("session settings: %w", err)
	}
	prog.phase(wippidu.PhasePreparing, "")
	cat, err := schema.LoadCatalog(ctx, tx)
	if err != nil {
		return err
	}
	// Foreign keys are dropped for the load and added back afterwards: adding a
	// constraint checks all rows in one pass, far faster than a trigger per row,
	// and checks exactly as much.
	for _, t := range cat.Tables {
		for _, fk := range t.ForeignKeys {
			sql := "ALTER TABLE " + pgx.Identifier{t.Name}.Sanitize() + " DROP CONSTRAINT " + pgx.Identifier{fk.Name}.Sanitize()
			if _, err := tx.Exec(ctx, sql); err != nil {
				return fmt.Errorf("drop foreign key %q: %w", fk.Name, err)
			}
		}
	}
	if len(cat.Tables) > 0 {
		names := make([]string, len(cat.Tables))
		for i, t := range cat.Tables {
			names[i] = pgx.Identifier{t.Name}.Sanitize()
		}
		if _, err := tx.Exec(ctx, "TRUNCATE "+strings.Join(names, ", ")); err != nil {
			return fmt.Errorf("truncate app tables: %w", err)
		}
	}

	seen := map[string]bool{}
	for {
		dt, err := r.NextTable()
		if err == io.EOF {
			break
		}
		if err != nil {
			return badDump(err)
		}
		if err := checkNames(dt); err != nil {
			return rejected(err)
		}
		if seen[dt.Name] {
			return rejected(fmt.Errorf("table %q appears twice in the dump", dt.Name))
		}
		seen[dt.Name] = true
		st := cat.Table(dt.Name)
		if st == nil {
			res.SkippedTables = append(res.SkippedTables, dt.Name)
			continue
		}
		prog.phase(wippidu.PhaseLoading, st.Name)
		n, err := copyTable(ctx, tx, r, dt, st, res, opts.Anonymizer, prog)
		if err != nil {
			return err
		}
		res.Tables = append(res.Tables, wippidu.TableCount{Name: st.Name, Rows: n})
		res.Rows += n
	}
	for _, t := range cat.Tables {
		if !seen[t.Name] {
			res.MissingTables = append(res.MissingTables, t.Name)
			res.Tables = append(res.Tables, wippidu.TableCount{Name: t.Name})
		}
	}

	prog.phase(wippidu.PhaseForeignKeys, "")
	for _, t := range cat.Tables {
		for _, fk := range t.ForeignKeys {
			prog.phase(wippidu.PhaseForeignKeys, t.Name)
			sql := "ALTER TABLE " + pgx.Identifier{t.Name}.Sanitize() + " ADD CONSTRAINT " + pgx.Identifier{fk.Name}.Sanitize() + " " + fk.Definition
			if _, err := tx.Exec(ctx, sql); err != nil {
				return pgDataError(fmt.Errorf("foreign key %q of table %q does not hold for the dump's rows: %w", fk.Name, t.Name, err))
			}
		}
	}

	prog.phase(wippidu.PhaseSequences, "")
	for _, t := range cat.Tables {
		for _, s := range t.Sequences {
			sql := "SELECT setval($1::regclass, COALESCE((SELECT MAX(" + pgx.Identifier{s.Column}.Sanitize() + ") FROM " +
				pgx.Identifier{t.Name}.Sanitize() + "), 0) + 1, false)"
			if _, err := tx.Exec(ctx, sql, pgx.Identifier{s.Schema, s.Name}.Sanitize()); err != nil {
				return fmt.Errorf("reset sequence %q: %w", s.Name, err)
			}
		}
	}
	prog.phase(wippidu.PhaseCommitting, "")
	res.DurationSeconds = time.Since(start).Seconds()
	if opts.BeforeCommit != nil {
		return opts.BeforeCommit(ctx, tx, res)
	}
	return nil
}

// colPlan says where a staging column's values come from.
type colPlan struct {
	name    string
	src     int // index in the dump's row; -1 when the dump lacks the column
	kind    dump.Kind
	notNull bool
	rule    *anonymizer.ColumnRule
}

func copyTable(ctx context.Context, tx pgx.Tx, r *dump.Reader, dt *dump.Table, st *schema.Table,
	res *wippidu.ImportResult, anon *anonymizer.Anonymizer, prog *progressTracker) (int64, error) {
	rules := anon.Rules(st.Name)
	srcIdx := map[string]int{}
	for i, c := range dt.Columns {
		srcIdx[c.Name] = i
	}
	dt.Skip = make([]bool, len(dt.Columns))
	for i, c := range dt.Columns {
		if st.Column(c.Name) == nil {
			dt.Skip[i] = true
			res.SkippedColumns = append(res.SkippedColumns, st.Name+"."+c.Name)
		}
	}
	var plan []colPlan
	var idents []string
	for _, c := range st.Columns {
		p := colPlan{name: c.Name, src: -1, kind: dump.KindOf(c.Type), notNull: c.NotNull}
		if i, ok := srcIdx[c.Name]; ok {
			p.src = i
		}
		for i := range rules {
			if rules[i].Column == c.Name {
				p.rule = &rules[i]
			}
		}
		if p.rule != nil && p.src >= 0 {
			dt.Skip[p.src] = true // replaced: the original never needs to be decoded
		}
		if p.src < 0 && p.rule == nil {
			res.MissingColumns = append(res.MissingColumns, st.Name+"."+c.Name)
			continue
		}
		plan = append(plan, p)
		idents = append(idents, pgx.Identifier{c.Name}.Sanitize())
	}
	idIdx := -1
	if i, ok := srcIdx["id"]; ok && st.Column("id") != nil {
		idIdx = i
		dt.Skip[i] = false
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

	rs := &rowSource{r: r, table: st.Name, cols: dt.Columns, plan: plan, idIdx: idIdx, prog: prog, base: prog.state.RowsDone}
	rs.kinds = make([]dump.Kind, len(dt.Columns))
	for i, c := range dt.Columns {
		rs.kinds[i] = dump.KindOf(c.Type)
	}
	sql := "COPY " + pgx.Identifier{st.Name}.Sanitize() + " (" + strings.Join(idents, ", ") + ") FROM STDIN"
	_, err := tx.Conn().PgConn().CopyFrom(ctx, rs, sql)
	// On a failed COPY, pgconn may return while its reading goroutine is still in
	// Read: stop the source before looking at it.
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.closed = true
	if rs.err != nil {
		return rs.rows, rs.err
	}
	if err != nil {
		return rs.rows, pgDataError(fmt.Errorf("load table %q: %w", st.Name, err))
	}
	prog.state.RowsDone = rs.base + rs.rows
	return rs.rows, nil
}

// rowSource is the COPY FROM input of one table: it pulls rows from the dump,
// anonymizes them and encodes them as COPY text.
type rowSource struct {
	mu      sync.Mutex
	closed  bool
	r       *dump.Reader
	table   string
	cols    []dump.Column // the dump's columns
	kinds   []dump.Kind   // their encodings, as the dump declares them
	plan    []colPlan
	idIdx   int
	prog    *progressTracker
	base    int64
	rows    int64
	buf     []byte
	scratch []byte
	pending []byte
	done    bool
	err     error
}

const copyBatch = 64 << 10

func (s *rowSource) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, io.EOF
	}
	if s.err != nil {
		return 0, s.err
	}
	if len(s.pending) == 0 {
		if s.done {
			return 0, io.EOF
		}
		s.buf = s.buf[:0]
		for len(s.buf) < copyBatch {
			row, err := s.r.NextRow()
			if err == io.EOF {
				s.done = true
				break
			}
			if err != nil {
				s.err = badDump(err)
				return 0, s.err
			}
			s.rows++
			if err := s.checkTypes(row); err != nil {
				s.err = rejected(err)
				return 0, s.err
			}
			if s.buf, err = s.encode(s.buf, row); err != nil {
				s.err = rejected(fmt.Errorf("table %q row %d: %w", s.table, s.rows, err))
				return 0, s.err
			}
		}
		s.pending = s.buf
		s.prog.state.RowsDone = s.base + s.rows
		s.prog.report(false)
		if len(s.pending) == 0 {
			return 0, io.EOF
		}
	}
	n := copy(p, s.pending)
	s.pending = s.pending[n:]
	return n, nil
}

// checkTypes checks every value of a row, loaded or not, against the JSON type its
// column's declared type calls for (docs/dump-format.md), so that a number never
// becomes bytes of a bytea column and a string never reaches a bigint.
func (s *rowSource) checkTypes(row []dump.Value) error {
	for i, v := range row {
		if v.Type == dump.Null {
			continue
		}
		var want dump.ValueType
		switch s.kinds[i] {
		case dump.KindInt:
			want = dump.Number
			if v.Type == dump.Number && bytes.ContainsAny(v.Data, ".eE") {
				return fmt.Errorf("table %q row %d column %q (%s): want an integer, got %s", s.table, s.rows, s.cols[i].Name, s.cols[i].Type, v.Data)
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

func (s *rowSource) encode(b []byte, row []dump.Value) ([]byte, error) {
	var id []byte
	if s.idIdx >= 0 && row[s.idIdx].Type == dump.Number {
		id = row[s.idIdx].Data
	}
	var err error
	for i, p := range s.plan {
		if i > 0 {
			b = append(b, '\t')
		}
		if p.rule != nil {
			if p.src >= 0 && row[p.src].Type == dump.Null {
				b = append(b, '\\', 'N')
				continue
			}
			out, null := p.rule.Apply(s.scratch[:0], anonymizer.Row{Table: s.table, ID: id, Seq: s.rows, NotNull: p.notNull})
			s.scratch = out
			switch {
			case null:
				b = append(b, '\\', 'N')
			case p.kind == dump.KindBytea:
				b = dump.AppendCopyBytea(b, out)
			default:
				if b, err = dump.AppendCopyText(b, out); err != nil {
					return b, err
				}
			}
			continue
		}
		if b, err = dump.AppendCopy(b, row[p.src], p.kind); err != nil {
			return b, fmt.Errorf("column %q: %w", p.name, err)
		}
	}
	return append(b, '\n'), nil
}

// rejected marks an error as one that a retry cannot fix.
func rejected(err error) error {
	if errors.Is(err, ErrBadDump) {
		return err
	}
	return &badDumpError{err: err}
}

// badDump marks the dump reader's format errors as ones that a retry cannot fix;
// other read errors (storage, network) stay retryable.
func badDump(err error) error {
	if errors.Is(err, ErrBadDump) {
		return err
	}
	var newer *dump.NewerSchemaError
	if errors.As(err, &newer) || errors.Is(err, dump.ErrFormat) {
		return &badDumpError{err: err}
	}
	return err
}

// pgDataError marks PostgreSQL's complaints about the data itself (class 22 data
// exceptions, class 23 integrity violations) as bad-dump errors, with PostgreSQL's
// detail (which key) and context (which COPY line and column) in the message.
func pgDataError(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (strings.HasPrefix(pgErr.Code, "22") || strings.HasPrefix(pgErr.Code, "23")) {
		var extra string
		if pgErr.Detail != "" {
			extra += "; " + pgErr.Detail
		}
		if pgErr.Where != "" {
			extra += "; " + pgErr.Where
		}
		if len(extra) > maxDetailBytes {
			extra = strings.ToValidUTF8(extra[:maxDetailBytes], "") + "…"
		}
		return &badDumpError{err: err, extra: extra}
	}
	return err
}

// maxDetailBytes bounds what PostgreSQL's detail and context add to a message.
const maxDetailBytes = 1000

// maxIdentBytes is PostgreSQL's limit on identifiers (NAMEDATALEN - 1).
const maxIdentBytes = 63

// checkNames refuses table and column names that no wippidu schema can have:
// the app's names are lowercase ASCII snake_case. Such names never reach SQL anyway
// (only catalog names do), but a look-alike such as "u\u0455ers" listed as a skipped
// table would mislead the admin reading the result.
func checkNames(t *dump.Table) error {
	if !validIdent(t.Name) {
		return fmt.Errorf("table name %s is not a wippidu identifier (lowercase ASCII letters, digits and _, at most %d bytes)", strconv.QuoteToASCII(t.Name), maxIdentBytes)
	}
	for _, c := range t.Columns {
		if !validIdent(c.Name) {
			return fmt.Errorf("table %q: column name %s is not a wippidu identifier (lowercase ASCII letters, digits and _, at most %d bytes)", t.Name, strconv.QuoteToASCII(c.Name), maxIdentBytes)
		}
	}
	return nil
}

func validIdent(s string) bool {
	if s == "" || len(s) > maxIdentBytes {
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

type badDumpError struct {
	err   error
	extra string // PostgreSQL's detail and context
}

func (e *badDumpError) Error() string { return e.err.Error() + e.extra }
func (e *badDumpError) Unwrap() []error {
	return []error{e.err, ErrBadDump}
}
