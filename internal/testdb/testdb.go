// Package testdb fills test databases with production-like data: the small fixture
// with every value shape, and bulk rows for imports big enough to interrupt.
package testdb

import (
	"bytes"
	"context"
	_ "embed"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/klauspost/compress/gzip"
)

//go:embed fixture.sql
var fixture string

// Fixture loads the fixture: a few rows of every app table with NULLs next to empty
// strings, escapes, unicode, numeric, jsonb, arrays, all 256 byte values in bytea
// and soft-deleted rows.
func Fixture(t testing.TB, pool *pgxpool.Pool) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), fixture); err != nil {
		t.Fatalf("testdb: load fixture: %v", err)
	}
}

// BulkMessages adds n messages with ~1 kB bodies between the fixture's users, so
// that an import takes long enough to be interrupted on purpose.
func BulkMessages(t testing.TB, pool *pgxpool.Pool, n int) {
	t.Helper()
	_, err := pool.Exec(context.Background(), `
		INSERT INTO messages (sender_id, recipient_id, subject, body, read_at, tags)
		SELECT 1 + g % 3, 2 + g % 4, 'Nachricht ' || g,
		       repeat(md5(g::text) || ' ', 30), CASE WHEN g % 3 = 0 THEN now() END, '{bulk}'
		FROM generate_series(1, $1) g`, n)
	if err != nil {
		t.Fatalf("testdb: bulk messages: %v", err)
	}
}

// SlowInserts makes inserts into table slow (a trigger sleeps 4 ms on every 10th
// row: 0.4 s per thousand rows), so that a test can act while an import is still
// loading it. The time comes from sleeping, not from volume, which would cost
// every side of the test CPU.
func SlowInserts(t testing.TB, pool *pgxpool.Pool, table string) {
	t.Helper()
	_, err := pool.Exec(context.Background(), `CREATE OR REPLACE FUNCTION testdb_slow_row() RETURNS trigger LANGUAGE plpgsql AS
		$$ BEGIN IF NEW.id % 10 = 0 THEN PERFORM pg_sleep(0.004); END IF; RETURN NEW; END $$;
		CREATE TRIGGER testdb_slow BEFORE INSERT ON `+pgx.Identifier{table}.Sanitize()+` FOR EACH ROW EXECUTE FUNCTION testdb_slow_row()`)
	if err != nil {
		t.Fatalf("testdb: slow inserts: %v", err)
	}
}

// Gzip returns s gzipped: a dump file made by hand, e.g. a broken or a newer one.
func Gzip(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
