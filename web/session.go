package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wippidu/wippidu/sessions"
)

// session is a logged-in user, as stored in web_sessions. It carries email and
// role so that authenticating a request never reads users.
type session struct {
	ID         int64
	UserID     int64
	Email      string
	Role       string
	CSRFToken  string
	ExpiresAt  time.Time
	LastSeenAt time.Time
}

// isAdmin reports whether the session's user has the admin role.
func (s *session) isAdmin() bool { return s != nil && s.Role == "admin" }

// touchEvery is how stale last_seen_at may get before a request refreshes it, so
// that polling a job does not write a row every second.
const touchEvery = time.Minute

const (
	sqlCreateSession = `INSERT INTO web_sessions (token_hash, user_id, email, role, csrf_token, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`
	sqlFindSession = `SELECT id, user_id, email, role, csrf_token, expires_at, last_seen_at
		FROM web_sessions WHERE token_hash = $1 AND expires_at > now()`
	sqlTouchSession  = `UPDATE web_sessions SET last_seen_at = now() WHERE id = $1`
	sqlDeleteSession = `DELETE FROM web_sessions WHERE token_hash = $1`
)

// randomToken returns n random bytes, base64url encoded.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	return base64.RawURLEncoding.EncodeToString(b)
}

// tokenHash is what is stored of a session token: a stolen table yields no cookies.
func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// createSession stores a new session for a user and returns the cookie's token.
// and its CSRF token. Every login gets a new token, so a token planted before
// login is worthless.
func (s *Server) createSession(ctx context.Context, userID int64, email, role string) (token, csrf string, err error) {
	token, csrf = randomToken(32), randomToken(32)
	if _, err := sessions.DeleteExpired(ctx, s.pool); err != nil {
		return "", "", err
	}
	var id int64
	err = s.pool.QueryRow(ctx, sqlCreateSession, tokenHash(token), userID, email, role,
		csrf, time.Now().Add(s.cfg.SessionTTL)).Scan(&id)
	if err != nil {
		return "", "", fmt.Errorf("create session: %w", err)
	}
	return token, csrf, nil
}

// findSession returns the live session of a token, or nil.
func (s *Server) findSession(ctx context.Context, token string) (*session, error) {
	var ss session
	err := s.pool.QueryRow(ctx, sqlFindSession, tokenHash(token)).Scan(
		&ss.ID, &ss.UserID, &ss.Email, &ss.Role, &ss.CSRFToken, &ss.ExpiresAt, &ss.LastSeenAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find session: %w", err)
	}
	if time.Since(ss.LastSeenAt) > touchEvery {
		if _, err := s.pool.Exec(ctx, sqlTouchSession, ss.ID); err != nil {
			return nil, fmt.Errorf("touch session: %w", err)
		}
	}
	return &ss, nil
}

// deleteSession ends a session.
func (s *Server) deleteSession(ctx context.Context, token string) error {
	if _, err := s.pool.Exec(ctx, sqlDeleteSession, tokenHash(token)); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}
