package demodata

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wippidu/wippidu/schema"
)

// Defaults of Config.
const (
	DefaultAttachmentKB  = 64
	DefaultAdminEmail    = "admin@wippidu.example"
	DefaultAdminPassword = "wippidu"
)

// Config says how much data Generate makes.
type Config struct {
	// Users is the number of users (required, > 0). Everything else scales with it:
	// about 10 messages per user, a class per teacher, 1.3 students per parent.
	Users int
	// AttachmentKB is the average attachment size in KiB (sizes vary from a quarter
	// to twice that); 0 means DefaultAttachmentKB.
	AttachmentKB int
	// AdminEmail and AdminPassword are the login of user 1, an admin; empty means
	// DefaultAdminEmail and DefaultAdminPassword.
	AdminEmail, AdminPassword string
	// Seed makes the data: the same seed (and Now) gives the same rows, except for
	// the bcrypt salts of the password hashes.
	Seed uint64
	// Now is where the generated history ends; zero means today, 00:00 UTC.
	Now time.Time
}

func (c Config) withDefaults() (Config, error) {
	if c.Users <= 0 {
		return c, fmt.Errorf("users must be > 0, got %d", c.Users)
	}
	if c.AttachmentKB < 0 {
		return c, fmt.Errorf("attachment size must be >= 0 KiB, got %d", c.AttachmentKB)
	}
	if c.AttachmentKB == 0 {
		c.AttachmentKB = DefaultAttachmentKB
	}
	if c.AdminEmail == "" {
		c.AdminEmail = DefaultAdminEmail
	}
	if !strings.Contains(c.AdminEmail, "@") {
		return c, fmt.Errorf("admin email %q has no @", c.AdminEmail)
	}
	if c.AdminPassword == "" {
		c.AdminPassword = DefaultAdminPassword
	}
	if c.Now.IsZero() {
		c.Now = time.Now().UTC().Truncate(24 * time.Hour)
	}
	c.Now = c.Now.UTC()
	return c, nil
}

// Stats reports what Generate loaded.
type Stats struct {
	Tables          []TableStats // in load order
	AttachmentBytes int64        // sum of attachments.size_bytes
	DatabaseBytes   int64        // pg_database_size afterwards
	Elapsed         time.Duration
}

// TableStats is one table's load.
type TableStats struct {
	Name    string
	Rows    int64
	Bytes   int64 // COPY data sent
	Elapsed time.Duration
}

// Rows returns the number of rows loaded into table.
func (s Stats) Rows(table string) int64 {
	for _, t := range s.Tables {
		if t.Name == table {
			return t.Rows
		}
	}
	return 0
}

// TotalRows returns the rows loaded into all tables.
func (s Stats) TotalRows() int64 {
	var n int64
	for _, t := range s.Tables {
		n += t.Rows
	}
	return n
}

// CopyBytes returns the COPY data sent for all tables.
func (s Stats) CopyBytes() int64 {
	var n int64
	for _, t := range s.Tables {
		n += t.Bytes
	}
	return n
}

var (
	// ErrNotMigrated is returned for a database without the app tables.
	ErrNotMigrated = errors.New("database is not migrated")
	// ErrNotEmpty is returned for a database that already holds app data.
	ErrNotEmpty = errors.New("database already holds data")
)

// appTables are the tables Generate fills, in the order of generator.tables.
var appTables = []string{
	"users", "school_classes", "students", "guardianships", "messages",
	"parental_letters", "letter_acknowledgements", "attachments",
}

// generator carries what the table generators share. Tables are generated one
// after another, so later tables read what earlier ones recorded without locks.
type generator struct {
	cfg         Config
	v           *vocab
	p           *plan
	hashes      *passwordHashes
	preferences []string
	metadata    []string

	pending         []pendingAttachment // recorded by messages and letters
	ackable         []ackableLetter     // recorded by letters
	attachmentBytes int64
}

// Generate fills an empty, migrated database with production-like demo data in
// one transaction: users (admins, teachers, parents), classes, students and their
// guardians, messages, parental letters with acknowledgements, and attachments.
// It refuses a database that is not migrated (ErrNotMigrated) or already holds
// data (ErrNotEmpty).
func Generate(ctx context.Context, pool *pgxpool.Pool, cfg Config, logger *slog.Logger) (Stats, error) {
	start := time.Now()
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Stats{}, err
	}
	logger.InfoContext(ctx, "generating demo data",
		slog.Int("users", cfg.Users), slog.Int("attachment_kb", cfg.AttachmentKB),
		slog.String("admin_email", cfg.AdminEmail), slog.Uint64("seed", cfg.Seed),
		slog.Time("now", cfg.Now))

	conn, err := pool.Acquire(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("connect: %w", err)
	}
	defer conn.Release()
	stats, err := load(ctx, conn.Conn(), cfg, logger)
	if err != nil {
		return stats, err
	}
	logger.InfoContext(ctx, "committed", slog.Duration("elapsed", time.Since(start)))

	// The data is in; what follows is a courtesy. Fresh statistics give the first
	// queries (an export, say) good plans.
	if _, err := conn.Exec(ctx, "ANALYZE "+strings.Join(appTables, ", ")); err != nil {
		logger.WarnContext(ctx, "analyze failed", slog.String("error", err.Error()))
	}
	if err := conn.QueryRow(ctx, "SELECT pg_database_size(current_database())").Scan(&stats.DatabaseBytes); err != nil {
		logger.WarnContext(ctx, "reading the database size failed", slog.String("error", err.Error()))
	}
	stats.Elapsed = time.Since(start)
	logger.InfoContext(ctx, "demo data generated",
		slog.Int64("rows", stats.TotalRows()), slog.Int64("copy_bytes", stats.CopyBytes()),
		slog.Int64("attachment_bytes", stats.AttachmentBytes), slog.Int64("database_bytes", stats.DatabaseBytes),
		slog.Duration("elapsed", stats.Elapsed))
	return stats, nil
}

// load does the work of Generate in one transaction on conn.
func load(ctx context.Context, conn *pgx.Conn, cfg Config, logger *slog.Logger) (Stats, error) {
	var stats Stats
	tx, err := conn.Begin(ctx)
	if err != nil {
		return stats, fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()

	cat, err := schema.LoadCatalog(ctx, tx)
	if err != nil {
		return stats, fmt.Errorf("read catalog: %w", err)
	}
	if err := checkEmpty(ctx, tx, cat); err != nil {
		return stats, err
	}

	// Hashing is CPU-bound: it runs while the load is prepared.
	type hashResult struct {
		h   *passwordHashes
		err error
	}
	hashed := make(chan hashResult, 1)
	hashCtx, cancelHash := context.WithCancel(ctx)
	defer cancelHash()
	go func() {
		h, err := hashPasswords(hashCtx, cfg.Users, cfg.AdminPassword)
		hashed <- hashResult{h, err}
	}()

	ddl, err := dropForLoad(ctx, tx, cat, appTables)
	if err != nil {
		return stats, err
	}
	g := newGenerator(cfg)
	logger.InfoContext(ctx, "planned",
		slog.Int("admins", len(g.p.admins)), slog.Int("teachers", len(g.p.teachers)),
		slog.Int("parents", len(g.p.parents)), slog.Int("classes", len(g.p.classes)),
		slog.Int("students", g.p.students()))
	res := <-hashed
	if res.err != nil {
		return stats, res.err
	}
	g.hashes = res.h

	for _, t := range g.tables() {
		st, err := copyTable(ctx, tx, t, logger)
		if err != nil {
			return stats, err
		}
		stats.Tables = append(stats.Tables, st)
	}
	stats.AttachmentBytes = g.attachmentBytes
	if err := ddl.restore(ctx, tx, logger); err != nil {
		return stats, err
	}
	// Ids are 1..rows, so each sequence continues at rows+1.
	for _, t := range stats.Tables {
		if _, err := tx.Exec(ctx, "SELECT setval(pg_get_serial_sequence($1, 'id'), $2, false)", t.Name, t.Rows+1); err != nil {
			return stats, fmt.Errorf("set sequence of %q: %w", t.Name, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return stats, fmt.Errorf("commit: %w", err)
	}
	return stats, nil
}

func newGenerator(cfg Config) *generator {
	v := newVocab(cfg.Seed)
	g := &generator{cfg: cfg, v: v, p: newPlan(cfg, v, cfg.Now)}
	r := newRand(cfg.Seed, streamDocs)
	g.preferences = preferenceDocs(r)
	g.metadata = metadataDocs(r)
	return g
}

// tables returns the loads in dependency order. Expected row counts are taken
// when a table starts: some depend on the tables before it.
func (g *generator) tables() []table {
	p := g.p
	return []table{
		{name: "users", columns: userColumns, gen: g.users, want: func() int64 { return int64(len(p.role)) }},
		{name: "school_classes", columns: classColumns, gen: g.schoolClasses, want: func() int64 { return int64(len(p.classes)) }},
		{name: "students", columns: studentColumns, gen: g.students, want: func() int64 { return int64(p.students()) }},
		{name: "guardianships", columns: guardianshipColumns, gen: g.guardianships, want: p.guardianshipCount},
		{name: "messages", columns: messageColumns, gen: g.messages, want: p.messageCount},
		{name: "parental_letters", columns: letterColumns, gen: g.letters, want: func() int64 { return int64(len(p.classes) * lettersPerClass) }},
		{name: "letter_acknowledgements", columns: ackColumns, gen: g.acknowledgements, want: g.ackEstimate},
		{name: "attachments", columns: attachmentColumns, gen: g.attachments, want: func() int64 { return int64(len(g.pending)) }, binary: true},
	}
}

// checkEmpty refuses a database without the app tables (per its catalog) or with
// rows in any of them. It locks the tables against writers first, so that two runs at once
// cannot both find them empty.
func checkEmpty(ctx context.Context, tx pgx.Tx, cat *schema.Catalog) error {
	var missing []string
	for _, t := range appTables {
		if cat.Table(t) == nil {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w (missing tables: %s); run `worker migrate` first", ErrNotMigrated, strings.Join(missing, ", "))
	}

	idents := make([]string, len(appTables))
	probes := make([]string, len(appTables))
	for i, t := range appTables {
		idents[i] = pgx.Identifier{t}.Sanitize()
		probes[i] = fmt.Sprintf("SELECT %s WHERE EXISTS (SELECT 1 FROM %s)", quoteLiteral(t), idents[i])
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE "+strings.Join(idents, ", ")+" IN EXCLUSIVE MODE"); err != nil {
		return fmt.Errorf("lock tables: %w", err)
	}
	var full []string
	rows, err := tx.Query(ctx, strings.Join(probes, " UNION ALL "))
	if err != nil {
		return fmt.Errorf("check tables are empty: %w", err)
	}
	full, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("check tables are empty: %w", err)
	}
	if len(full) > 0 {
		return fmt.Errorf("%w (rows in %s); demodata only fills an empty database", ErrNotEmpty, strings.Join(full, ", "))
	}
	return nil
}

// quoteLiteral quotes a constant table name as an SQL string literal.
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
