package schema

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// NotMigratedError is a database that lacks migrations this build needs, the
// app's or River's. Every program checks for it at start, and the web tier's
// /readyz, so that what people read is the fix (`worker migrate`) rather than the
// first missing relation a query runs into.
type NotMigratedError struct {
	Have, Want int    // the app schema version applied, and this build's
	River      string // what River's own migrations lack; empty: nothing
}

func (e *NotMigratedError) Error() string {
	var missing []string
	switch {
	case e.Have == 0:
		missing = append(missing, "it has no wippidu schema")
	case e.Have < e.Want:
		missing = append(missing, fmt.Sprintf("its wippidu schema is at version %d, this build needs %d", e.Have, e.Want))
	}
	if e.River != "" {
		missing = append(missing, "River's tables lack migrations ("+e.River+")")
	}
	return "the database is not migrated: " + strings.Join(missing, "; ") + ". Run `worker migrate` with the same DATABASE_URL"
}

// CheckMigrated returns a *NotMigratedError when the database lacks a migration
// this build needs. A database migrated further, by a newer build, passes: a
// rolling upgrade runs both for a while.
func CheckMigrated(ctx context.Context, pool *pgxpool.Pool) error {
	migs, err := Migrations()
	if err != nil {
		return err
	}
	e := &NotMigratedError{Want: migs[len(migs)-1].Version}
	var exists bool
	if err := pool.QueryRow(ctx, "SELECT to_regclass('schema_migrations') IS NOT NULL").Scan(&exists); err != nil {
		return fmt.Errorf("check the schema version: %w", err)
	}
	if exists {
		if e.Have, err = Version(ctx, pool); err != nil {
			return err
		}
	}
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("river migrator: %w", err)
	}
	res, err := migrator.Validate(ctx, nil)
	if err != nil {
		return fmt.Errorf("check River's migrations: %w", err)
	}
	if !res.OK {
		e.River = strings.Join(res.Messages, "; ")
	}
	if e.Have < e.Want || e.River != "" {
		return e
	}
	return nil
}
