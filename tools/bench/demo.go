package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/wippidu/wippidu/internal/pgcluster"
)

// demoDB is a demo production database and the staging databases it is loaded into.
type demoDB struct {
	label    string
	src      string // production
	ours     string // our default import's target
	oursKept string // our import with every anonymizer off
	theirs   string // pg_restore's target
	bytes    int64  // src on disk
	rows     int64  // in src's app tables
}

// demo creates the databases, migrated, and fills src with demo data.
func (r *runner) demo(ctx context.Context, users, attachKB int, label string) (demoDB, error) {
	db := demoDB{label: label, src: "bench_src_" + label, ours: "bench_ours_" + label,
		oursKept: "bench_ours_kept_" + label, theirs: "bench_pgrestore_" + label}
	for _, name := range []string{db.src, db.ours, db.oursKept, db.theirs} {
		if err := r.freshDB(ctx, name); err != nil {
			return db, err
		}
	}
	step(fmt.Sprintf("demo data: %d users, attachments ~%d KiB", users, attachKB))
	if err := r.demodata(db.src, "--users", fmt.Sprint(users), "--attachment-kb", fmt.Sprint(attachKB)); err != nil {
		return db, err
	}
	conn, err := pgx.Connect(ctx, dbURL(r.server, db.src))
	if err != nil {
		return db, err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "VACUUM ANALYZE"); err != nil {
		return db, err
	}
	if err := conn.QueryRow(ctx, "SELECT pg_database_size(current_database())").Scan(&db.bytes); err != nil {
		return db, err
	}
	for _, t := range appTables {
		var n int64
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{t}.Sanitize()).Scan(&n); err != nil {
			return db, err
		}
		db.rows += n
	}
	step(fmt.Sprintf("database: %.2f GB, %d rows", float64(db.bytes)/1e9, db.rows))
	return db, nil
}

// freshDB makes an empty database called name, migrated.
func (r *runner) freshDB(ctx context.Context, name string) error {
	_ = pgcluster.DropDatabase(ctx, r.server, name)
	if err := pgcluster.CreateDatabase(ctx, r.server, name, ""); err != nil {
		return err
	}
	_, err := worker(r.work, dbURL(r.server, name), "", nil, "migrate")
	return err
}

// demodata fills the database called name with demo data (cmd/demodata, args).
func (r *runner) demodata(name string, args ...string) error {
	gen := exec.Command(filepath.Join(r.work, "bin", "demodata"), args...)
	gen.Env = append(os.Environ(), "DATABASE_URL="+dbURL(r.server, name), "LOG_LEVEL=warn")
	gen.Stderr = os.Stderr
	if err := gen.Run(); err != nil {
		return fmt.Errorf("demodata: %w", err)
	}
	return nil
}

// truncate empties the app tables of a database, so that every pg_restore starts
// where the first did (our imports empty their target themselves, inside the job).
func (r *runner) truncate(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, dbURL(r.server, name))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	tables := make([]string, len(appTables))
	for i, t := range appTables {
		tables[i] = pgx.Identifier{t}.Sanitize()
	}
	if _, err := conn.Exec(ctx, "TRUNCATE "+strings.Join(tables, ", ")); err != nil {
		return fmt.Errorf("truncate %s: %w", name, err)
	}
	return nil
}
