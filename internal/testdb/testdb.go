// Package testdb fills test databases with production-like data: the small fixture
// with every value shape, and bulk rows for imports big enough to interrupt.
package testdb

import (
	"context"
	_ "embed"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
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
