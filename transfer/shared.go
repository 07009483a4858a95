package transfer

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// sharedSnapshot is the snapshot of an export's transaction, exported
// (pg_export_snapshot()) for more connections to read in: the one that reads
// large values in chunks (largeexport.go) and the ones that read tables in
// parts (parts.go). Whatever they read is what the export's own transaction
// would have read.
type sharedSnapshot struct {
	cfg *pgx.ConnConfig
	id  string
}

// shareSnapshot exports the snapshot of the export's transaction tx on conn.
// It must run before the first COPY, while tx can still run a query.
func shareSnapshot(ctx context.Context, tx pgx.Tx, conn *pgx.Conn) (*sharedSnapshot, error) {
	s := &sharedSnapshot{cfg: conn.Config()}
	if err := tx.QueryRow(ctx, "SELECT pg_export_snapshot()").Scan(&s.id); err != nil {
		return nil, fmt.Errorf("export snapshot: %w", err)
	}
	return s, nil
}

// join opens a connection like the export's, for what it names, in a
// read-only transaction on the snapshot with the export's session settings. It
// sits idle in its transaction while the export reads on elsewhere, so a
// server's idle_in_transaction_session_timeout is lifted for it.
func (s *sharedSnapshot) join(ctx context.Context, what string) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, s.cfg)
	if err != nil {
		return nil, fmt.Errorf("connect for %s: %w", what, err)
	}
	setup := "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\n" +
		"SET TRANSACTION SNAPSHOT '" + strings.ReplaceAll(s.id, "'", "''") + "';\n" +
		"SET LOCAL idle_in_transaction_session_timeout = 0;\n" +
		sessionSettingsSQL
	if _, err := conn.Exec(ctx, setup); err != nil {
		_ = conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("share the export's snapshot: %w", err)
	}
	return conn, nil
}
