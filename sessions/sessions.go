// Package sessions owns web_sessions, the server-side login sessions of an
// instance: the web tier creates and reads them, housekeeping deletes the expired
// ones, and an import ends them. They are local to the instance, like its audit
// history: never exported, never imported. No other package speaks SQL to
// web_sessions.
package sessions

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Execer is what the statements here need: a pool, a connection or a transaction.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// DB is what reading a session needs besides Execer.
type DB interface {
	Execer
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Session is a logged-in user, as stored in web_sessions. It carries the email,
// role and data rights, so that authenticating a request never reads users, which
// an import holds locked for its whole duration.
type Session struct {
	ID        int64
	UserID    int64
	Email     string
	Role      string
	CSRFToken string
	// DataRights says the account is one of this instance's own admins and logged
	// in with its own password (package accounts decides): only then may it
	// import, preview, export or use River UI.
	DataRights bool
	ExpiresAt  time.Time
	LastSeenAt time.Time
}

// IsAdmin reports whether the session's user has the admin role.
func (s *Session) IsAdmin() bool { return s != nil && s.Role == "admin" }

// MayDoDataWork reports whether the session may import, preview, export or use
// River UI.
func (s *Session) MayDoDataWork() bool { return s.IsAdmin() && s.DataRights }

// touchEvery is how stale last_seen_at may get before a request refreshes it, so
// that polling a job does not write a row every second.
const touchEvery = time.Minute

// New is what a login knows of the session it starts.
type New struct {
	UserID     int64
	Email      string
	Role       string
	DataRights bool
	TTL        time.Duration
}

// Create stores a new session and returns it with the cookie's token, which is
// only ever stored hashed. Every login gets new tokens, so a token planted before
// login is worthless. Expired sessions are deleted on the way.
func Create(ctx context.Context, db DB, n New) (string, *Session, error) {
	if _, err := DeleteExpired(ctx, db); err != nil {
		return "", nil, err
	}
	token := RandomToken(32)
	s := &Session{UserID: n.UserID, Email: n.Email, Role: n.Role, DataRights: n.DataRights,
		CSRFToken: RandomToken(32), ExpiresAt: time.Now().Add(n.TTL), LastSeenAt: time.Now()}
	err := db.QueryRow(ctx, `INSERT INTO web_sessions (token_hash, user_id, email, role, data_rights, csrf_token, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		tokenHash(token), s.UserID, s.Email, s.Role, s.DataRights, s.CSRFToken, s.ExpiresAt).Scan(&s.ID)
	if err != nil {
		return "", nil, fmt.Errorf("create session: %w", err)
	}
	return token, s, nil
}

// Find returns the live session of a cookie's token, or nil.
func Find(ctx context.Context, db DB, token string) (*Session, error) {
	var s Session
	err := db.QueryRow(ctx, `SELECT id, user_id, email, role, data_rights, csrf_token, expires_at, last_seen_at
		FROM web_sessions WHERE token_hash = $1 AND expires_at > now()`, tokenHash(token)).Scan(
		&s.ID, &s.UserID, &s.Email, &s.Role, &s.DataRights, &s.CSRFToken, &s.ExpiresAt, &s.LastSeenAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find session: %w", err)
	}
	if time.Since(s.LastSeenAt) > touchEvery {
		if _, err := db.Exec(ctx, `UPDATE web_sessions SET last_seen_at = now() WHERE id = $1`, s.ID); err != nil {
			return nil, fmt.Errorf("touch session: %w", err)
		}
	}
	return &s, nil
}

// Delete ends the session of a cookie's token.
func Delete(ctx context.Context, db Execer, token string) error {
	if _, err := db.Exec(ctx, `DELETE FROM web_sessions WHERE token_hash = $1`, tokenHash(token)); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
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

// RandomToken returns n random bytes, base64url encoded.
func RandomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	return base64.RawURLEncoding.EncodeToString(b)
}

// tokenHash is what is stored of a session token: a stolen table yields no cookies.
func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
