package transfer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/dump"
	"github.com/wippidu/wippidu/schema"
	"github.com/wippidu/wippidu/sealed"
)

// ImportLockKey is the transaction-level advisory lock every import holds, so that
// only one import runs at a time across all worker processes.
const ImportLockKey int64 = 0x77697070_696d7074 // "wippimpt"

// Source opens the dump an import reads, from its start, each time it is called:
// the import reads the people tables first, then the whole dump.
type Source func(ctx context.Context) (io.ReadCloser, error)

// Bytes is the Source of a dump held in memory (tests, small tools).
func Bytes(b []byte) Source {
	return func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

// ImportOptions configure an import.
type ImportOptions struct {
	Anonymizer *anonymizer.Anonymizer // required
	Progress   func(wippidu.Progress)
	// BeforeTruncate runs inside the import transaction just before the app tables
	// are emptied: the last moment staging's own rows can be read.
	BeforeTruncate func(ctx context.Context, tx pgx.Tx) error
	// BeforeCommit runs inside the import transaction after the data is loaded and
	// checked: whatever it writes commits atomically with the data.
	BeforeCommit func(ctx context.Context, tx pgx.Tx, res *wippidu.ImportResult) error
	// DryRun rolls the transaction back after BeforeCommit, which may read what
	// the import would have left: staging stays exactly as it was, and the result
	// says Preview.
	DryRun bool
	// Decrypter decrypts an encrypted dump as it is read (IMPORT_IDENTITY); nil
	// refuses one, with a message that says so.
	Decrypter *sealed.Decrypter
	// Logger says what the import decides on the way (nil: nothing).
	Logger *slog.Logger
}

// errDryRun ends a dry run's transaction: it rolls back whatever was done.
var errDryRun = errors.New("dry run: rolled back")

// importer is one import: each phase is a method, run in order inside one
// transaction.
type importer struct {
	log  *slog.Logger
	tx   pgx.Tx
	anon *anonymizer.Anonymizer
	opts ImportOptions
	prog *progressTracker
	read atomic.Int64 // compressed bytes of the dump read by the load
	cat  *schema.Catalog
	res  *wippidu.ImportResult
}

// Import replaces every app table's rows with the dump's, in one transaction on
// conn: any error leaves the database exactly as it was. It reads the dump's people
// first, so that the free-text replacement knows all of them before the first text
// is written; then foreign keys and indexes are dropped for the load, the indexes
// are built again from the loaded rows and the foreign keys added back, which
// checks every row; sequences end past MAX(id); and before it commits, the leak
// check says whether any production value is left.
func Import(ctx context.Context, conn *pgx.Conn, src Source, opts ImportOptions) (*wippidu.ImportResult, error) {
	start := time.Now()
	if opts.Anonymizer == nil {
		return nil, errors.New("import: no anonymizer configured")
	}
	imp := &importer{anon: opts.Anonymizer, opts: opts, log: opts.Logger}
	if imp.log == nil {
		imp.log = slog.New(slog.DiscardHandler)
	}
	imp.prog = &progressTracker{fn: opts.Progress, bytes: &imp.read}
	defer imp.prog.stop()
	imp.prog.phase(wippidu.PhaseReading, "")
	// The header is read before anything else: a file that is no dump, a newer
	// one, or one encrypted to other keys is refused before the import takes its
	// lock.
	first, closeFirst, err := open(ctx, src, opts.Decrypter, nil)
	if err != nil {
		return nil, err
	}
	defer closeFirst()
	imp.res = newResult(first.Header(), imp.anon)
	imp.prog.state.RowsTotal = first.Header().RowsEstimate
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		imp.tx = tx
		if err := imp.prepare(ctx); err != nil {
			return err
		}
		if err := imp.readPeople(ctx, first); err != nil {
			return err
		}
		closeFirst()
		r, closeMain, err := open(ctx, src, opts.Decrypter, &imp.read)
		if err != nil {
			return err
		}
		defer closeMain()
		for _, phase := range []func(context.Context, *dump.Reader) error{
			imp.dropForeignKeys, imp.truncate, imp.dropIndexes, imp.load, imp.buildIndexes, imp.addForeignKeys,
			imp.resetSequences, imp.checkLeaks,
		} {
			if err := phase(ctx, r); err != nil {
				return err
			}
		}
		if opts.DryRun {
			imp.prog.phase(wippidu.PhaseSampling, "")
		} else {
			imp.prog.phase(wippidu.PhaseCommitting, "")
		}
		imp.res.DurationSeconds = time.Since(start).Seconds()
		imp.res.Preview = opts.DryRun
		if opts.BeforeCommit != nil {
			if err := opts.BeforeCommit(ctx, tx, imp.res); err != nil {
				return err
			}
		}
		if opts.DryRun {
			return errDryRun
		}
		return nil
	})
	if opts.DryRun && errors.Is(err, errDryRun) {
		return imp.res, nil
	}
	if err != nil {
		return nil, err
	}
	return imp.res, nil
}

// open opens the dump, decrypting it as it is read when it is encrypted, and
// reads its header, counting the bytes of the file (compressed, encrypted) into n.
// An encrypted dump's header and first chunk are authenticated here, before the
// caller changes anything; a chunk altered further on fails the read that
// reaches it, and the import's transaction rolls back.
func open(ctx context.Context, src Source, dec *sealed.Decrypter, n *atomic.Int64) (*dump.Reader, func(), error) {
	rc, err := src(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("open dump: %w", err)
	}
	var in io.Reader = rc
	if n != nil {
		in = countingReader{r: rc, tally: tally{n}}
	}
	if in, err = dec.Plain(in); err != nil {
		rc.Close()
		return nil, nil, badDump(err)
	}
	// The main pass decompresses ahead of the parsing, on a second core.
	r, err := dump.NewReader(in, dump.ReaderOptions{ReadAhead: n != nil})
	if err != nil {
		rc.Close()
		return nil, nil, badDump(err)
	}
	var once bool
	return r, func() {
		if !once {
			once = true
			r.Close()
			rc.Close()
		}
	}, nil
}

func newResult(h dump.Header, a *anonymizer.Anonymizer) *wippidu.ImportResult {
	return &wippidu.ImportResult{
		SourceHost:         h.SourceHost,
		ExportedAt:         h.ExportedAt,
		SchemaVersion:      h.SchemaVersion,
		IncludeAttachments: h.IncludeAttachments,
		AnonymizersRun:     a.Ran(),
		AnonymizersSkipped: a.Skipped(),
		PasswordsReset:     !slices.Contains(a.Skipped(), anonymizer.Passwords),
		Tables:             []wippidu.TableCount{},
		SkippedTables:      []string{},
		MissingTables:      []string{},
		SkippedColumns:     []string{},
		MissingColumns:     []string{},
		Unscrubbed:         []wippidu.UnscrubbedColumn{},
	}
}

// prepare takes the import lock, fixes the session's value formats and reads the
// catalog.
func (imp *importer) prepare(ctx context.Context) error {
	var locked bool
	if err := imp.tx.QueryRow(ctx, "SELECT pg_try_advisory_xact_lock($1)", ImportLockKey).Scan(&locked); err != nil {
		return fmt.Errorf("take import lock: %w", err)
	}
	if !locked {
		return ErrBusy
	}
	if _, err := imp.tx.Exec(ctx, sessionSettingsSQL); err != nil {
		return fmt.Errorf("session settings: %w", err)
	}
	imp.prog.phase(wippidu.PhasePreparing, "")
	cat, err := schema.LoadCatalog(ctx, imp.tx)
	if err != nil {
		return err
	}
	imp.cat = cat
	return nil
}

// dropForeignKeys drops every app table's foreign keys for the load: adding a
// constraint back checks all rows in one pass, far faster than a trigger per row,
// and checks exactly as much.
func (imp *importer) dropForeignKeys(ctx context.Context, _ *dump.Reader) error {
	for _, t := range imp.cat.Tables {
		for _, fk := range t.ForeignKeys {
			if _, err := imp.tx.Exec(ctx, fk.DropSQL()); err != nil {
				return fmt.Errorf("drop foreign key %q: %w", fk.Name, err)
			}
		}
	}
	return nil
}

// truncate empties every app table.
func (imp *importer) truncate(ctx context.Context, _ *dump.Reader) error {
	if imp.opts.BeforeTruncate != nil {
		if err := imp.opts.BeforeTruncate(ctx, imp.tx); err != nil {
			return err
		}
	}
	if len(imp.cat.Tables) == 0 {
		return nil
	}
	names := make([]string, len(imp.cat.Tables))
	for i, t := range imp.cat.Tables {
		names[i] = pgx.Identifier{t.Name}.Sanitize()
	}
	if _, err := imp.tx.Exec(ctx, "TRUNCATE "+strings.Join(names, ", ")); err != nil {
		return fmt.Errorf("truncate app tables: %w", err)
	}
	return nil
}

// addForeignKeys adds the foreign keys back, which checks every loaded row.
func (imp *importer) addForeignKeys(ctx context.Context, _ *dump.Reader) error {
	steps := perTable(imp.cat, func(t *schema.Table) []schema.ForeignKey { return t.ForeignKeys },
		func(t *schema.Table, fk schema.ForeignKey) step {
			return step{table: t.Name, sql: fk.AddSQL(), fail: func(err error) error {
				return pgDataError(fmt.Errorf("foreign key %q of table %q does not hold for the dump's rows: %w", fk.Name, t.Name, err))
			}}
		})
	return imp.runSteps(ctx, wippidu.PhaseForeignKeys, steps)
}

// resetSequences moves every sequence past the largest id loaded.
func (imp *importer) resetSequences(ctx context.Context, _ *dump.Reader) error {
	steps := perTable(imp.cat, func(t *schema.Table) []schema.Sequence { return t.Sequences },
		func(t *schema.Table, s schema.Sequence) step {
			sql := "SELECT setval($1::regclass, COALESCE((SELECT MAX(" + pgx.Identifier{s.Column}.Sanitize() + ") FROM " +
				pgx.Identifier{t.Name}.Sanitize() + "), 0) + 1, false)"
			return step{table: t.Name, sql: sql, args: []any{pgx.Identifier{s.Schema, s.Name}.Sanitize()},
				fail: func(err error) error { return fmt.Errorf("reset sequence %q: %w", s.Name, err) }}
		})
	return imp.runSteps(ctx, wippidu.PhaseSequences, steps)
}

// perTable makes a step of each of every app table's objects (its foreign keys,
// indexes, sequences), the tables in the catalog's order.
func perTable[T any](cat *schema.Catalog, objects func(*schema.Table) []T, stepOf func(*schema.Table, T) step) []step {
	var steps []step
	for _, t := range cat.Tables {
		for _, o := range objects(t) {
			steps = append(steps, stepOf(t, o))
		}
	}
	return steps
}

// step is one statement of a phase that runs a statement per table object, and
// the error it fails with.
type step struct {
	table string
	sql   string
	args  []any
	fail  func(error) error
}

// runSteps runs a phase's statements in order, one progress step each.
func (imp *importer) runSteps(ctx context.Context, phase wippidu.Phase, steps []step) error {
	imp.prog.phase(phase, "")
	imp.prog.state.Steps += len(steps)
	for _, st := range steps {
		imp.prog.phase(phase, st.table)
		if _, err := imp.tx.Exec(ctx, st.sql, st.args...); err != nil {
			return st.fail(err)
		}
		imp.prog.state.Step++
	}
	imp.prog.report(true)
	return nil
}

// checkLeaks asks the leak check what it found in everything the load wrote.
// Anything found fails the import, unless the admin accepted the risk: then the
// result lists what remains.
func (imp *importer) checkLeaks(ctx context.Context, _ *dump.Reader) error {
	imp.prog.phase(wippidu.PhaseLeakCheck, "")
	lc := imp.anon.LeakCheck()
	imp.res.LeakCheck = lc
	if lc.Found == 0 || imp.anon.RiskAccepted() {
		return nil
	}
	return rejected(&LeakError{Check: lc})
}

// LeakError is an import refused because production personal values would have
// reached staging.
type LeakError struct{ Check *wippidu.LeakCheck }

func (e *LeakError) Error() string {
	var parts []string
	for _, f := range e.Check.Findings {
		parts = append(parts, fmt.Sprintf("%s (%d %s)", f.Column, f.Count, strings.ReplaceAll(string(f.Kind), "_", " ")))
	}
	return fmt.Sprintf("leak check: %d production values from the dump's personal columns would reach staging: %s. "+
		"Nothing was changed. Classify these columns with an anonymizer in anonymizer/policy.conf (docs/data-policy.md)",
		e.Check.Found, strings.Join(parts, ", "))
}
