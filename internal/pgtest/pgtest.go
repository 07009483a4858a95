// Package pgtest gives tests a real PostgreSQL: the server at TEST_DATABASE_URL when
// set, otherwise a private cluster started from the machine's PostgreSQL binaries for
// the test binary's lifetime. Each test gets its own freshly migrated database.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wippidu/wippidu/internal/pgcluster"
	"github.com/wippidu/wippidu/schema"
)

var (
	once     sync.Once
	onceErr  error
	adminURL string
	template string
	cluster  *pgcluster.Cluster
	tmpDir   string
)

// Main runs a package's tests and stops the private cluster afterwards. Use it as
// `func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }`.
func Main(m *testing.M) int {
	code := m.Run()
	if cluster != nil {
		if err := cluster.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest: stop cluster:", err)
		}
		os.RemoveAll(tmpDir)
	} else if template != "" {
		_ = pgcluster.DropDatabase(context.Background(), adminURL, template)
	}
	return code
}

func setup() error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		adminURL = u
	} else {
		var err error
		tmpDir, err = os.MkdirTemp("", "wippidu-pg-")
		if err != nil {
			return err
		}
		cluster, err = pgcluster.Start(ctx, pgcluster.Config{Dir: tmpDir})
		if err != nil {
			return fmt.Errorf("start private PostgreSQL: %w", err)
		}
		adminURL = cluster.URL("postgres")
	}
	template = "wippidu_tmpl_" + randomSuffix()
	if err := pgcluster.CreateDatabase(ctx, adminURL, template, ""); err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, WithDatabase(adminURL, template))
	if err != nil {
		return err
	}
	defer pool.Close()
	return schema.Migrate(ctx, pool, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// AdminURL returns the URL of the server's maintenance database (starting the server
// if needed).
func AdminURL(t testing.TB) string {
	t.Helper()
	once.Do(func() { onceErr = setup() })
	if onceErr != nil {
		t.Fatalf("pgtest: %v", onceErr)
	}
	return adminURL
}

// BinDir returns the PostgreSQL binaries directory (pg_dump and friends).
func BinDir(t testing.TB) string {
	t.Helper()
	if cluster != nil {
		return cluster.BinDir()
	}
	d, err := pgcluster.BinDir()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// NewDB creates a fresh database with the app and River migrations applied and
// returns its URL. The database is dropped when the test ends.
func NewDB(t testing.TB) string {
	t.Helper()
	admin := AdminURL(t)
	name := "wippidu_test_" + randomSuffix()
	ctx := context.Background()
	if err := pgcluster.CreateDatabase(ctx, admin, name, template); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if err := pgcluster.DropDatabase(context.Background(), admin, name); err != nil {
			t.Logf("pgtest: %v", err)
		}
	})
	return WithDatabase(admin, name)
}

// NewEmptyDB is NewDB without any migrations applied.
func NewEmptyDB(t testing.TB) string {
	t.Helper()
	admin := AdminURL(t)
	name := "wippidu_test_" + randomSuffix()
	ctx := context.Background()
	if err := pgcluster.CreateDatabase(ctx, admin, name, ""); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() { _ = pgcluster.DropDatabase(context.Background(), admin, name) })
	return WithDatabase(admin, name)
}

// NewPool opens a pool on url, closed when the test ends.
func NewPool(t testing.TB, dbURL string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatalf("pgtest: open pool: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// WithDatabase returns dbURL pointing at another database on the same server.
func WithDatabase(dbURL, name string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		panic(fmt.Sprintf("pgtest: bad database URL: %v", err))
	}
	u.Path = "/" + name
	return u.String()
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Checksums returns an md5 of every row of every table in the current schema
// (River's tables excepted), so that tests can prove a database unchanged.
func Checksums(t testing.TB, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	ctx := context.Background()
	names := Strings(t, pool, `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename NOT LIKE 'river\_%' ORDER BY 1`)
	out := map[string]string{}
	for _, n := range names {
		var sum string
		q := `SELECT count(*) || ':' || COALESCE(md5(string_agg(md5(x::text), '' ORDER BY md5(x::text))), '') FROM ` + pgx.Identifier{n}.Sanitize() + ` x`
		if err := pool.QueryRow(ctx, q).Scan(&sum); err != nil {
			t.Fatalf("pgtest: checksum %s: %v", n, err)
		}
		out[n] = sum
	}
	return out
}

// ExpectUnchanged fails t for every table in before (a Checksums result, or part of
// one) whose rows are no longer the same, saying what changed it; tables named in
// except are not compared.
func ExpectUnchanged(t testing.TB, pool *pgxpool.Pool, before map[string]string, by string, except ...string) {
	t.Helper()
	after := Checksums(t, pool)
	for _, table := range slices.Sorted(maps.Keys(before)) {
		if after[table] != before[table] && !slices.Contains(except, table) {
			t.Errorf("table %s changed by %s", table, by)
		}
	}
}

// Strings runs a query of one text column and returns its values, NULL as "<NULL>".
func Strings(t testing.TB, pool *pgxpool.Pool, query string, args ...any) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var s *string
		err := r.Scan(&s)
		if s == nil {
			return "<NULL>", err
		}
		return *s, err
	})
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out
}
