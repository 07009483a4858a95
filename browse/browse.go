// Package browse reads what an instance's app tables hold, for an admin to look at
// after a refresh: per table a row count, and one page of rows as text, each column
// marked with what the data policy has an import do to it.
//
// Staging holds production-sized tables, so everything here is bounded: one
// READ ONLY transaction with a statement timeout and a lock timeout (an import
// holds every app table locked while it loads; the reader says so instead of
// waiting), counts that stop at ExactCountLimit rows and are estimated beyond,
// pages of PageRows rows no deeper than MaxPage, values cut to MaxValueRunes
// characters in SQL before they are sent, and bytea read as its length and first
// bytes only.
//
// Only tables and columns found in the catalog (schema.LoadCatalog, which leaves
// out River's tables, sessions, migrations and the audit history) are ever named
// in SQL, quoted; a table name from a request is looked up there, never used.
package browse

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/schema"
)

// Defaults of Config.
const (
	DefaultPageRows = 20
	// DefaultMaxPage keeps OFFSET within 10,000 rows: browsing is for looking at
	// what an import did; psql is for reading a table through.
	DefaultMaxPage = 500
	// DefaultExactCountLimit is where counting stops: counting 10,000 rows costs a
	// few milliseconds even on wide tables; beyond, the planner's estimate is shown.
	DefaultExactCountLimit  = 10_000
	DefaultMaxValueRunes    = 120
	DefaultStatementTimeout = 5 * time.Second
	DefaultLockTimeout      = 2 * time.Second
	// DefaultSniffBytes is how much of a bytea value is read to name its type.
	DefaultSniffBytes = 512
)

// SecretRunes is how much of a password hash is shown: "$2a$10$" and a little of
// the salt.
const SecretRunes = 12

// DB is what a Reader needs: a pool or connection to begin transactions on.
type DB interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// Config is what a Reader needs. DB is required; zero values take the defaults.
type Config struct {
	DB     DB
	Policy *anonymizer.Policy // the data policy imports use; nil: anonymizer.DefaultPolicy()

	PageRows         int           // rows on a page
	MaxPage          int           // the deepest page
	ExactCountLimit  int64         // tables up to this many rows are counted exactly
	MaxValueRunes    int           // longer values are cut, with "…"
	SniffBytes       int           // bytes of a bytea value read to name its type
	StatementTimeout time.Duration // for each statement
	LockTimeout      time.Duration // for each lock, e.g. while an import loads
}

// defaultPolicy is parsed once: a Reader may be made for each request.
var defaultPolicy = sync.OnceValue(anonymizer.DefaultPolicy)

// Reader reads app tables for people.
type Reader struct {
	cfg Config
}

// New returns a Reader, with Config's defaults filled in.
func New(cfg Config) (*Reader, error) {
	if cfg.DB == nil {
		return nil, errors.New("browse: DB is required")
	}
	if cfg.Policy == nil {
		cfg.Policy = defaultPolicy()
	}
	cfg.PageRows = cmp.Or(cfg.PageRows, DefaultPageRows)
	cfg.MaxPage = cmp.Or(cfg.MaxPage, DefaultMaxPage)
	cfg.ExactCountLimit = cmp.Or(cfg.ExactCountLimit, DefaultExactCountLimit)
	cfg.MaxValueRunes = cmp.Or(cfg.MaxValueRunes, DefaultMaxValueRunes)
	cfg.SniffBytes = cmp.Or(cfg.SniffBytes, DefaultSniffBytes)
	cfg.StatementTimeout = cmp.Or(cfg.StatementTimeout, DefaultStatementTimeout)
	cfg.LockTimeout = cmp.Or(cfg.LockTimeout, DefaultLockTimeout)
	return &Reader{cfg: cfg}, nil
}

// ErrBusy is the answer while an import holds the tables: it replaces them in one
// transaction, and what they held before is not worth waiting for.
var ErrBusy = &wippidu.Error{Code: wippidu.ECONFLICT,
	Message: "An import is replacing the data right now. Look again when it has finished."}

// Query says what to read.
type Query struct {
	Table string // the table whose rows to read; "" for the overview alone
	Page  int    // 1-based page of Table's rows; 0 is the first
	// Unscrubbed and AnonymizersSkipped come from the result of the import whose
	// data the instance holds (none when it never imported).
	Unscrubbed         []wippidu.UnscrubbedColumn
	AnonymizersSkipped []string
}

// View is what a Query read, from one snapshot.
type View struct {
	Tables []TableSummary `json:"tables"`          // every app table, in dependency order
	Table  *TablePage     `json:"table,omitempty"` // the asked-for table's page
	// The bounds the view was read with, for people to be told.
	ExactCountLimit int64 `json:"exact_count_limit"`
	MaxValueRunes   int   `json:"max_value_runes"`
	SecretRunes     int   `json:"secret_runes"`
}

// TableSummary is one line of the overview.
type TableSummary struct {
	Name  string `json:"name"`
	Count Count  `json:"count"`
	// Anonymizers are the switches whose methods replace columns of the table,
	// in column order; Unscrubbed the table's columns loaded as they were.
	Anonymizers []string `json:"anonymizers"`
	Unscrubbed  []string `json:"unscrubbed"`
}

// Kinds of Count.
const (
	CountExact    = "exact"     // Rows rows
	CountAbout    = "about"     // about Rows rows (the planner's estimate)
	CountMoreThan = "more_than" // more than Rows rows (the estimate was lower still)
)

// Count is how many rows a table holds, exactly up to ExactCountLimit.
type Count struct {
	Rows int64  `json:"rows"`
	Kind string `json:"kind"`
}

// TablePage is one page of a table's rows.
type TablePage struct {
	Name     string    `json:"name"`
	Count    Count     `json:"count"`
	Page     int       `json:"page"`
	PageRows int       `json:"page_rows"`
	Prev     int       `json:"prev,omitempty"` // the previous page; 0 on the first
	Next     int       `json:"next,omitempty"` // the next page; 0 on the last or past the end
	OrderBy  []string  `json:"order_by"`       // the primary key; empty: storage order
	Columns  []Column  `json:"columns"`
	Rows     [][]Value `json:"rows"`
}

// errPage refuses a page number out of range.
func (r *Reader) errPage() error {
	return wippidu.Errorf(wippidu.EINVALID, "The page must be a whole number from 1 to %d.", r.cfg.MaxPage)
}

// errNoTable refuses a name that is not an app table here. Names that cannot be
// one are not repeated.
func errNoTable(name string) error {
	if !schema.IsIdent(name) {
		return &wippidu.Error{Code: wippidu.ENOTFOUND, Message: "There is no app table of that name on this instance."}
	}
	return wippidu.Errorf(wippidu.ENOTFOUND, "There is no app table %q on this instance.", name)
}

// Read reads the overview and, when q names a table, one page of its rows.
func (r *Reader) Read(ctx context.Context, q Query) (*View, error) {
	page := q.Page
	if page == 0 {
		page = 1
	}
	if page < 1 || page > r.cfg.MaxPage {
		return nil, r.errPage()
	}
	// Repeatable read: the counts and the rows are of one moment.
	tx, err := r.cfg.DB.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("begin read-only transaction: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, setTimeoutsSQL, millis(r.cfg.StatementTimeout), millis(r.cfg.LockTimeout)); err != nil {
		return nil, fmt.Errorf("set timeouts: %w", err)
	}
	cat, err := schema.LoadCatalog(ctx, tx)
	if err != nil {
		return nil, r.explain(err)
	}
	var asked *schema.Table
	if q.Table != "" {
		if asked = cat.Table(q.Table); asked == nil {
			return nil, errNoTable(q.Table)
		}
	}
	marks := newMarks(r.cfg.Policy, q)
	view := &View{Tables: []TableSummary{}, ExactCountLimit: r.cfg.ExactCountLimit,
		MaxValueRunes: r.cfg.MaxValueRunes, SecretRunes: SecretRunes}
	for _, t := range cat.Tables {
		n, err := r.count(ctx, tx, t.Name)
		if err != nil {
			return nil, r.explain(fmt.Errorf("count %s: %w", t.Name, err))
		}
		view.Tables = append(view.Tables, marks.summary(t, n))
		if t == asked {
			view.Table = &TablePage{Name: t.Name, Count: n, Page: page, PageRows: r.cfg.PageRows, Columns: marks.columns(t)}
		}
	}
	if view.Table != nil {
		if err := r.readPage(ctx, tx, asked, view.Table); err != nil {
			return nil, r.explain(fmt.Errorf("read %s: %w", asked.Name, err))
		}
	}
	return view, nil
}

// SQLSTATEs that mean a statement was stopped by a timeout.
const (
	sqlstateLockNotAvailable = "55P03" // lock_timeout
	sqlstateQueryCanceled    = "57014" // statement_timeout
)

// explain turns timeouts into what an admin can act on.
func (r *Reader) explain(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	switch pe.Code {
	case sqlstateLockNotAvailable:
		return fmt.Errorf("%w (%w)", ErrBusy, err)
	case sqlstateQueryCanceled:
		slow := wippidu.Errorf(wippidu.EINTERNAL, "Reading the data took longer than %s. Try again, or look with psql.", r.cfg.StatementTimeout)
		return fmt.Errorf("%w (%w)", slow, err)
	}
	return err
}

func millis(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
