package transfer

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/dump"
	"github.com/wippidu/wippidu/schema"
)

// ErrBusy is returned when another import holds the import lock.
var ErrBusy = errors.New("another import holds the import lock")

// ErrBadDump is wrapped by errors that a retry cannot fix: the dump is malformed,
// newer, or its data breaks the schema's rules (types, keys, constraints), or the
// data policy refuses it.
var ErrBadDump = errors.New("dump rejected")

// rejected marks an error as one that a retry cannot fix.
func rejected(err error) error {
	if errors.Is(err, ErrBadDump) {
		return err
	}
	return &badDumpError{err: err}
}

// badDump marks the dump reader's format errors as ones that a retry cannot fix;
// other read errors (storage, network) stay retryable. An encrypted dump's
// refusals (package sealed) are the user's message as it is, whatever the reader
// that met them said around it: it is what the audit row and the page show.
func badDump(err error) error {
	if errors.Is(err, ErrBadDump) {
		return err
	}
	var we *wippidu.Error
	if errors.As(err, &we) && we.Code == wippidu.EINVALID {
		return &badDumpError{err: we}
	}
	var newer *dump.NewerSchemaError
	if errors.As(err, &newer) || errors.Is(err, dump.ErrFormat) {
		return &badDumpError{err: err}
	}
	return err
}

type badDumpError struct{ err error }

func (e *badDumpError) Error() string   { return e.err.Error() }
func (e *badDumpError) Unwrap() []error { return []error{e.err, ErrBadDump} }

// pgDataError turns PostgreSQL's complaint about the data itself (class 22 data
// exceptions, class 23 integrity violations) into a bad-dump error whose message
// names the table, column, constraint and row, and never a value: what it says
// ends up in the audit row, River's job errors, the logs and the page, and a
// value from a production dump is personal data. PostgreSQL quotes the value in
// its message ("invalid input syntax for type date: …"), its detail ("Failing row
// contains (…)", "Key (email)=(…)") and its context ("COPY users, line 5, column
// email: …"); only the names are kept of these.
func pgDataError(err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || !(strings.HasPrefix(pgErr.Code, "22") || strings.HasPrefix(pgErr.Code, "23")) {
		return err
	}
	return &badDumpError{err: &dataError{context: contextOf(err, pgErr), pg: pgErr}}
}

// dataError is PostgreSQL's error with its values left out.
type dataError struct {
	context string // what was being done ("load table \"users\"")
	pg      *pgconn.PgError
}

func (e *dataError) Unwrap() error { return e.pg }

func (e *dataError) Error() string {
	msg, _, _ := strings.Cut(e.pg.Message, ": ")
	var where []string
	if k := keyDetail(e.pg.Detail); k != "" {
		where = append(where, k)
	}
	table, line, column := copyContext(e.pg.Where)
	if e.pg.TableName != "" {
		table = e.pg.TableName
	}
	if e.pg.ColumnName != "" {
		column = e.pg.ColumnName
	}
	if table != "" {
		where = append(where, "table "+strconv.Quote(table))
	}
	if line != "" {
		where = append(where, "row "+line)
	}
	if column != "" {
		where = append(where, "column "+strconv.Quote(column))
	}
	if e.pg.ConstraintName != "" {
		where = append(where, "constraint "+strconv.Quote(e.pg.ConstraintName))
	}
	s := e.context + msg + " (SQLSTATE " + e.pg.Code + ")"
	if len(where) > 0 {
		s += "; " + strings.Join(where, ", ")
	}
	return s
}

// contextOf is what err says before PostgreSQL's own message, if anything.
func contextOf(err error, pg *pgconn.PgError) string {
	s := err.Error()
	if i := strings.Index(s, pg.Error()); i > 0 {
		return s[:i]
	}
	return ""
}

var (
	keyDetailRE   = regexp.MustCompile(`^Key \((.*?)\)=\(.*\) (already exists|is duplicated|is not present in table "[^"]*"|is still referenced from table "[^"]*")\.$`)
	copyContextRE = regexp.MustCompile(`^COPY ([^,]+), line (\d+)(?:, column ([^:]+))?`)
)

// keyDetail keeps the columns of a key violation's detail and drops the values:
// "Key (email)=(…) already exists." becomes "key (email) already exists", and
// a unique index built over duplicates, "Key (id)=(…) is duplicated.", "key (id)
// is duplicated".
func keyDetail(detail string) string {
	m := keyDetailRE.FindStringSubmatch(strings.ReplaceAll(detail, "\n", " "))
	if m == nil {
		return ""
	}
	return "key (" + m[1] + ") " + m[2]
}

// copyContext reads the table, line and column out of a COPY error's context.
func copyContext(where string) (table, line, column string) {
	m := copyContextRE.FindStringSubmatch(where)
	if m == nil {
		return "", "", ""
	}
	return m[1], m[2], m[3]
}

// checkNames refuses table and column names that no wippidu schema can have:
// the app's names are lowercase ASCII snake_case. Such names never reach SQL anyway
// (only catalog names do), but a look-alike such as "u\u0455ers" listed as a skipped
// table would mislead the admin reading the result.
func checkNames(t *dump.Table) error {
	if !schema.IsIdent(t.Name) {
		return fmt.Errorf("table name %s is not a wippidu identifier (lowercase ASCII letters, digits and _, at most %d bytes)", strconv.QuoteToASCII(t.Name), schema.MaxIdentBytes)
	}
	for _, c := range t.Columns {
		if !schema.IsIdent(c.Name) {
			return fmt.Errorf("table %q: column name %s is not a wippidu identifier (lowercase ASCII letters, digits and _, at most %d bytes)", t.Name, strconv.QuoteToASCII(c.Name), schema.MaxIdentBytes)
		}
	}
	return nil
}
