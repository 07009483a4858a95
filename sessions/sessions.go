// Package sessions owns web_sessions, the server-side login sessions of an
// instance: the web tier creates and reads them, housekeeping deletes the expired
// ones. They are local to the instance, like its audit history: never exported,
// never imported.
package sessions

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
)

// Execer is what the statements here need: a pool, a connection or a transaction.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// DeleteExpired deletes every session past its expiry and returns how many.
func DeleteExpired(ctx context.Context, db Execer) (int64, error) {
	tag, err := db.Exec(ctx, `DELETE FROM web_sessions WHERE expires_at <= now()`)
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return tag.RowsAffected(), nil
}
