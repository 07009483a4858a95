package transfer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
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

// ExportOptions configure an export.
type ExportOptions struct {
	SourceHost         string
	IncludeAttachments bool
	Progress           func(wippidu.Progress)
	// Recipients, when not nil, are the age keys the dump is encrypted to as it is
	// written: no byte of it reaches w in the clear.
	Recipients *sealed.Recipients
	// OwnAccounts are the emails of the instance's own admins (accounts.OwnEmails):
	// their password hashes are never exported, LockedPassword stands in for them.
	OwnAccounts []string
	// Connections is how many connections read the tables at once (parts.go):
	// the export's own and Connections-1 more in its snapshot. 0 means 1.
	Connections int

	limits *exportLimits // nil: defaultLimits()
}

// LockedPassword is what an export writes instead of the password hash of one of
// the instance's own admins: no password matches it, so wherever the dump is
// loaded with its hashes, that account cannot be logged into.
const LockedPassword = "!locked: the password of an own admin of this instance is never exported"

// sessionSettingsSQL fixes the text forms of values, so that a dump reads the same
// whatever the server's or role's defaults are.
const sessionSettingsSQL = `SET LOCAL timezone = 'UTC';
SET LOCAL datestyle = 'ISO, YMD';
SET LOCAL intervalstyle = 'postgres';
SET LOCAL bytea_output = 'hex';
SET LOCAL extra_float_digits = 1;
SET LOCAL client_encoding = 'UTF8'`

// errTablesChanged refuses an export whose tables changed while it took its snapshot.
var errTablesChanged = errors.New("the app tables changed while the export started; try again")

// Export writes a dump of every app table to w, reading through conn. All tables are read in one
// REPEATABLE READ transaction that first locks them against TRUNCATE, so the dump is
// one consistent snapshot even while an import or writes run elsewhere.
func Export(ctx context.Context, conn *pgx.Conn, w io.Writer, opts ExportOptions) (*wippidu.ExportResult, error) {
	tx, cat, exportedAt, err := snapshot(ctx, conn)
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	src, err := openSource(ctx, tx, conn, cat, opts)
	if err != nil {
		return nil, err
	}
	defer src.close(ctx)
	res := &wippidu.ExportResult{SourceHost: opts.SourceHost, ExportedAt: exportedAt.UTC(), IncludeAttachments: opts.IncludeAttachments,
		EncryptedTo: opts.Recipients.Len()}
	estimate, err := rowsEstimate(ctx, tx, cat)
	if err != nil {
		return nil, err
	}
	policy := anonymizer.DefaultPolicy()
	common, err := census(ctx, tx, cat, policy)
	if err != nil {
		return nil, err
	}
	swaps, err := lockPasswords(ctx, tx, cat, opts.OwnAccounts)
	if err != nil {
		return nil, err
	}
	var written atomic.Int64
	prog := &progressTracker{fn: opts.Progress, bytes: &written}
	defer prog.stop()
	prog.state.RowsTotal = estimate
	enc, err := opts.Recipients.Encrypt(countingWriter{w: w, tally: tally{&written}})
	if err != nil {
		return nil, err
	}
	dw, err := dump.NewWriter(enc, dump.Header{
		SchemaVersion:      dump.SchemaVersion,
		App:                dump.App,
		SourceHost:         opts.SourceHost,
		ExportedAt:         res.ExportedAt,
		IncludeAttachments: opts.IncludeAttachments,
		RowsEstimate:       estimate,
	}, 0)
	if err != nil {
		return nil, err
	}
	defer dw.Abort() // after Close, nothing
	if err := writeCommonTokens(dw, common); err != nil {
		return nil, err
	}
	// The people come first: an import reads them before anything else.
	for _, t := range policy.PeopleFirst(cat) {
		prog.phase(wippidu.PhaseExporting, t.Name)
		n, err := src.exportTable(ctx, dw, t, swaps[t.Name], &progressWriter{prog: prog, base: res.Rows, attachments: opts.IncludeAttachments})
		if err != nil {
			return nil, err
		}
		res.Tables = append(res.Tables, wippidu.TableCount{Name: t.Name, Rows: n})
		res.Rows += n
		prog.state.RowsDone = res.Rows
	}
	if err := dw.Close(); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("finish encrypted dump: %w", err)
	}
	res.Bytes = written.Load()
	prog.state.Table = ""
	prog.report(true)
	return res, nil
}

// rowsEstimate is how many rows the export will write, as PostgreSQL's planner
// estimates it: free to ask, and close enough for a progress bar.
func rowsEstimate(ctx context.Context, tx pgx.Tx, cat *schema.Catalog) (int64, error) {
	var sum int64
	for _, t := range cat.Tables {
		n, err := schema.EstimateRows(ctx, tx, t.Name)
		if err != nil {
			return 0, err
		}
		sum += n
	}
	return sum, nil
}

// snapshot begins the export's transaction and returns it with the catalog and
// the snapshot's time. The snapshot is taken by the transaction's first query, so
// the tables are locked before anything is read: a snapshot taken while an import
// holds them would, once the import commits, see its TRUNCATE but not its rows
// (empty tables). The table names are therefore read before the transaction.
func snapshot(ctx context.Context, conn *pgx.Conn) (pgx.Tx, *schema.Catalog, time.Time, error) {
	var at time.Time
	pre, err := schema.LoadCatalog(ctx, conn)
	if err != nil {
		return nil, nil, at, err
	}
	names := make([]string, len(pre.Tables))
	for i, t := range pre.Tables {
		names[i] = pgx.Identifier{t.Name}.Sanitize()
	}
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, nil, at, fmt.Errorf("begin snapshot: %w", err)
	}
	cat, err := func() (*schema.Catalog, error) {
		if _, err := tx.Exec(ctx, sessionSettingsSQL); err != nil {
			return nil, fmt.Errorf("session settings: %w", err)
		}
		if len(names) > 0 {
			if _, err := tx.Exec(ctx, "LOCK TABLE "+strings.Join(names, ", ")+" IN ACCESS SHARE MODE"); err != nil {
				return nil, fmt.Errorf("lock tables: %w", err)
			}
		}
		cat, err := schema.LoadCatalog(ctx, tx)
		if err != nil {
			return nil, err
		}
		if len(cat.Tables) != len(pre.Tables) {
			return nil, errTablesChanged
		}
		for i, t := range cat.Tables {
			if t.Name != pre.Tables[i].Name {
				return nil, errTablesChanged
			}
		}
		if err := tx.QueryRow(ctx, "SELECT now()").Scan(&at); err != nil {
			return nil, fmt.Errorf("read snapshot time: %w", err)
		}
		return cat, nil
	}()
	if err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return nil, nil, at, err
	}
	return tx, cat, at, nil
}

// lockPasswords returns, per table, what an export writes instead of the password
// columns (those the policy gives to the passwords anonymizer) for the rows of
// the instance's own admins: LockedPassword. The rows are found by the table's
// email column (the emails anonymizer's) in the export's snapshot, and named by
// id, so that no email is ever written into SQL.
func lockPasswords(ctx context.Context, tx pgx.Tx, cat *schema.Catalog, own []string) (map[string]map[string]string, error) {
	if len(own) == 0 {
		return nil, nil
	}
	policy := anonymizer.DefaultPolicy()
	out := map[string]map[string]string{}
	for _, t := range cat.Tables {
		var passwords []string
		email := ""
		for _, c := range t.Columns {
			switch r := policy.Column(t.Name, c.Name); {
			case r == nil:
			case r.Anonymizer == anonymizer.Passwords:
				passwords = append(passwords, c.Name)
			case r.Anonymizer == anonymizer.Emails:
				email = c.Name
			}
		}
		if len(passwords) == 0 || email == "" || t.Column("id") == nil {
			continue
		}
		rows, err := tx.Query(ctx, "SELECT id FROM "+pgx.Identifier{t.Name}.Sanitize()+" WHERE lower("+
			pgx.Identifier{email}.Sanitize()+") = ANY($1)", own)
		if err != nil {
			return nil, fmt.Errorf("find the own admins in %q: %w", t.Name, err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return nil, fmt.Errorf("find the own admins in %q: %w", t.Name, err)
		}
		if len(ids) == 0 {
			continue
		}
		list := make([]string, len(ids))
		for i, id := range ids {
			list[i] = strconv.FormatInt(id, 10)
		}
		out[t.Name] = map[string]string{}
		for _, p := range passwords {
			out[t.Name][p] = "(CASE WHEN id IN (" + strings.Join(list, ", ") + ") THEN '" + LockedPassword + "' ELSE " +
				pgx.Identifier{p}.Sanitize() + " END)"
		}
	}
	return out, nil
}

// progressWriter forwards COPY data to a table writer (or one of its parts)
// and reports progress.
type progressWriter struct {
	w interface {
		io.Writer
		Rows() int64 // of the whole table
	}
	prog        *progressTracker
	base        int64
	attachments bool // binary columns are exported
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.prog.state.RowsDone = p.base + p.w.Rows()
	p.prog.report(false)
	return n, err
}
