package demodata

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wippidu/wippidu/schema"
)

// Maintaining a b-tree row by row and checking every foreign key with a query
// per row take most of a load's time. Building the index by sorting once and
// validating a foreign key with one join at the end is several times faster, so
// the load drops the secondary indexes and foreign keys of the tables it fills
// and restores them before committing (inside the same transaction, so the schema
// is never seen without them). Unique indexes and constraints stay: they also
// guard the data. The catalog (schema.Index) says how to build each index again.

// deferredDDL is what the load dropped and must restore.
type deferredDDL struct {
	indexes     []schema.Index
	foreignKeys []schema.ForeignKey
}

// dropForLoad drops the secondary indexes and the foreign keys of tables.
func dropForLoad(ctx context.Context, tx pgx.Tx, cat *schema.Catalog, tables []string) (*deferredDDL, error) {
	d := &deferredDDL{}
	for _, name := range tables {
		for _, fk := range cat.Table(name).ForeignKeys {
			d.foreignKeys = append(d.foreignKeys, fk)
			if _, err := tx.Exec(ctx, fk.DropSQL()); err != nil {
				return nil, fmt.Errorf("drop foreign key %q for the load: %w", fk.Name, err)
			}
		}
	}

	for _, name := range tables {
		for _, ix := range cat.Table(name).Indexes {
			if ix.Kind != schema.PlainIndex {
				continue
			}
			if _, err := tx.Exec(ctx, ix.DropSQL()); err != nil {
				return nil, fmt.Errorf("drop index %q for the load: %w", ix.Name, err)
			}
			d.indexes = append(d.indexes, ix)
		}
	}
	return d, nil
}

// restore builds the dropped indexes and adds the foreign keys back, which checks
// every row against them.
func (d *deferredDDL) restore(ctx context.Context, tx pgx.Tx, logger *slog.Logger) error {
	start := time.Now()
	// Index builds sort in memory when they can; the setting ends with the transaction.
	if _, err := tx.Exec(ctx, "SET LOCAL maintenance_work_mem = '256MB'"); err != nil {
		return fmt.Errorf("set maintenance_work_mem: %w", err)
	}
	for _, ix := range d.indexes {
		if _, err := tx.Exec(ctx, ix.CreateSQL()); err != nil {
			return fmt.Errorf("restore index %q of %q: %w", ix.Name, ix.Table, err)
		}
	}
	logger.InfoContext(ctx, "indexes built", slog.Int("indexes", len(d.indexes)), slog.Duration("elapsed", time.Since(start)))

	start = time.Now()
	for _, fk := range d.foreignKeys {
		if _, err := tx.Exec(ctx, fk.AddSQL()); err != nil {
			return fmt.Errorf("restore foreign key %q of %q: %w", fk.Name, fk.Table, err)
		}
	}
	logger.InfoContext(ctx, "foreign keys validated", slog.Int("foreign_keys", len(d.foreignKeys)), slog.Duration("elapsed", time.Since(start)))
	return nil
}
