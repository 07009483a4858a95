// Package sessions owns web_sessions, the server-side login sessions of an
// instance: the web tier creates and reads them, housekeeping deletes the expired
// ones, and an import ends them. They are local to the instance, like its audit
// history: never exported, never imported.
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

// EndAllBut ends every session but those of the given emails (any case), and points
// the sessions it keeps at their accounts as the users table has them now: an
// import that replaced every account calls it inside its transaction.
func EndAllBut(ctx context.Context, db Execer, emails []string) error {
	if _, err := db.Exec(ctx, `DELETE FROM web_sessions WHERE lower(email) <> ALL($1)`, emails); err != nil {
		return fmt.Errorf("end the sessions of the replaced accounts: %w", err)
	}
	if _, err := db.Exec(ctx, `UPDATE web_sessions s SET user_id = u.id, role = u.role, email = u.email
		FROM users u WHERE lower(u.email) = lower(s.email) AND u.deleted_at IS NULL`); err != nil {
		return fmt.Errorf("point the kept sessions at their accounts: %w", err)
	}
	return nil
}
