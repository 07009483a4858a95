package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wippidu/wippidu/dump"
	"github.com/wippidu/wippidu/schema"
	"github.com/wippidu/wippidu/transfer"
)

// The floors: what PostgreSQL (and the gzip format) need at the least for the work
// our sides do, timed in the same rounds, so that every figure of ours stands
// beside its floor.
const (
	// One connection reading, in one snapshot, every table the export writes with
	// the export's own COPY … TO STDOUT (transfer.CopyTables), into nothing.
	sideExportFloor = "export floor"
	// One transaction loading, into emptied tables, binary COPY files of exactly
	// the rows the import writes: with every anonymizer off, and by default.
	sideRawFloor     = "load floor, anonymizers off"
	sideDefaultFloor = "load floor, default"
	// The dump inflated by the import's reader (dump.Inflate), not parsed.
	sideInflate = "inflate"
)

// countWriter counts what is written to it, and keeps nothing.
type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// wall times fn and records its wall time for side (no process of its own: no
// peak RSS).
func wall(t *tally, side string, fn func() error) error {
	start := time.Now()
	if err := fn(); err != nil {
		return fmt.Errorf("%s: %w", side, err)
	}
	t.add(side, sample{seconds: time.Since(start).Seconds()})
	return nil
}

// exportFloor reads what the export reads, on one connection.
func (r *runner) exportFloor(ctx context.Context, db demoDB, t *tally) task {
	return task{sideExportFloor, func() error {
		conn, err := pgx.Connect(ctx, dbURL(r.server, db.src))
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		var read countWriter
		err = wall(t, sideExportFloor, func() error {
			_, err := transfer.CopyTables(ctx, conn, true, &read)
			return err
		})
		t.bytes[sideExportFloor] = read.n
		return err
	}}
}

// inflate inflates this round's dump.
func (r *runner) inflate(f roundFiles, t *tally) task {
	return task{sideInflate, func() error {
		file, err := os.Open(f.ours)
		if err != nil {
			return err
		}
		defer file.Close()
		var out countWriter
		err = wall(t, sideInflate, func() error {
			zr, err := dump.Inflate(file)
			if err == nil {
				_, err = io.Copy(&out, zr)
			}
			return err
		})
		t.bytes[sideInflate] = out.n
		return err
	}}
}

// loadFloor loads, in one transaction into the emptied tables of the pg_restore
// database, the binary COPY files of what our import left (floorFiles, made after
// the first round's import). Like pg_restore --disable-triggers, the load fires
// no triggers: no foreign key is checked.
func (r *runner) loadFloor(ctx context.Context, db demoDB, side string, t *tally) task {
	return task{side, func() error {
		files, ok := r.floors[side]
		if !ok {
			return fmt.Errorf("%s: no COPY files: the import they are made from has not run", side)
		}
		if err := r.truncate(ctx, db.theirs); err != nil {
			return err
		}
		conn, err := pgx.Connect(ctx, dbURL(r.server, db.theirs))
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		return wall(t, side, func() error { return loadCopies(ctx, conn, files) })
	}}
}

// copyFile is a table's rows in a binary COPY file.
type copyFile struct {
	table, path string
}

// floorFiles makes, once a run, the binary COPY files of side's load floor: every
// app table (the import's own list, schema.LoadCatalog) of the database our
// import has just filled.
func (r *runner) floorFiles(ctx context.Context, db demoDB, side, imported string, t *tally) error {
	if _, ok := r.floors[side]; ok {
		return nil
	}
	step("making the binary COPY files of " + side + " from " + imported)
	dir := filepath.Join(r.work, "floor-"+db.label, imported)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, dbURL(r.server, imported))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	cat, err := schema.LoadCatalog(ctx, conn)
	if err != nil {
		return err
	}
	var files []copyFile
	for _, tb := range cat.Tables {
		f := copyFile{table: tb.Name, path: filepath.Join(dir, tb.Name+".copy")}
		n, err := copyOut(ctx, conn, f)
		if err != nil {
			return err
		}
		files = append(files, f)
		t.bytes[side] += n
	}
	r.floors[side] = files
	return nil
}

// copyOut writes a table's rows into its binary COPY file.
func copyOut(ctx context.Context, conn *pgx.Conn, f copyFile) (int64, error) {
	out, err := os.Create(f.path)
	if err != nil {
		return 0, err
	}
	_, err = conn.PgConn().CopyTo(ctx, out, "COPY "+pgx.Identifier{f.table}.Sanitize()+" TO STDOUT (FORMAT binary)")
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("copy %s out: %w", f.table, err)
	}
	return size(f.path)
}

// loadCopies loads the files in one transaction, without triggers, with COPY
// FREEZE as the import does: the tables, already empty, are truncated again in
// the transaction (which FREEZE needs; nothing is left to remove).
func loadCopies(ctx context.Context, conn *pgx.Conn, files []copyFile) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL session_replication_role = replica"); err != nil {
			return err
		}
		names := make([]string, len(files))
		for i, f := range files {
			names[i] = pgx.Identifier{f.table}.Sanitize()
		}
		if _, err := tx.Exec(ctx, "TRUNCATE "+strings.Join(names, ", ")); err != nil {
			return err
		}
		for _, f := range files {
			in, err := os.Open(f.path)
			if err != nil {
				return err
			}
			_, err = tx.Conn().PgConn().CopyFrom(ctx, in, "COPY "+pgx.Identifier{f.table}.Sanitize()+" FROM STDIN (FORMAT binary, FREEZE)")
			in.Close()
			if err != nil {
				return fmt.Errorf("copy %s in: %w", f.table, err)
			}
		}
		return nil
	})
}
