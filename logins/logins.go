// Package logins limits login attempts for a whole deployment. It owns two local
// tables: login_networks, a token bucket per client network, and login_failures,
// the failed logins of one email from one network. Both live in PostgreSQL, so
// every web replica counts against the same limits, and a restart forgets nothing.
//
// The limits are keyed by network, never by account alone: failures from one
// network slow down that network (and that email from it), never another
// network's logins, the same account's included. After a refresh every imported
// account shares one public password, so a spray across many emails is stopped by
// the network's bucket, not by any one email's failures.
package logins

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Defaults of Config.
const (
	DefaultAttempts = 5
	DefaultPer      = time.Minute
	DefaultFree     = 3
	DefaultBase     = time.Second
	DefaultMax      = 5 * time.Minute
)

// Config sets the limits; a zero field takes its default.
type Config struct {
	// Attempts is how many logins a network may try at once (DefaultAttempts);
	// one more comes back every Per/Attempts.
	Attempts int
	Per      time.Duration // DefaultPer
	// Free is how many failures of one email from one network pass without delay
	// (DefaultFree); each further one waits twice as long as the last, from Base
	// up to Max.
	Free int
	Base time.Duration // DefaultBase
	Max  time.Duration // DefaultMax
}

// DB is what the limiter needs: a pool or a connection.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Limiter counts login attempts in the database.
type Limiter struct {
	db  DB
	cfg Config
}

// New returns a Limiter over db, filling in Config's defaults.
func New(db DB, cfg Config) *Limiter {
	cfg.Attempts = cmp.Or(cfg.Attempts, DefaultAttempts)
	cfg.Per = cmp.Or(cfg.Per, DefaultPer)
	cfg.Free = cmp.Or(cfg.Free, DefaultFree)
	cfg.Base = cmp.Or(cfg.Base, DefaultBase)
	cfg.Max = cmp.Or(cfg.Max, DefaultMax)
	return &Limiter{db: db, cfg: cfg}
}

// Network is the key a client address is limited by: an IPv4 address, the /64 of
// an IPv6 address (one client's usual allocation), and one key for every
// loopback address, v4 and v6 alike (they are all this host).
func Network(addr netip.Addr) string {
	addr = addr.Unmap()
	switch {
	case !addr.IsValid():
		return "unknown"
	case addr.IsLoopback():
		return "loopback"
	case addr.Is4():
		return addr.String()
	}
	p, _ := addr.WithZone("").Prefix(64)
	return p.String()
}

// sqlTake refills a network's bucket for the time since its last attempt and takes
// one token when there is one, in one statement: two replicas taking at once are
// serialised by the row lock, and neither gets a token the other took. now() is
// when a statement's transaction began, which may be before the row's last
// update by a replica that got the lock first: that time counts as none, never
// as less than none (which took tokens away and told a client to wait longer
// than a token takes to come back).
const sqlTake = `INSERT INTO login_networks AS l (network, tokens, taken) VALUES ($1, $2::float8 - 1, true)
ON CONFLICT (network) DO UPDATE SET
	taken = least($2, l.tokens + greatest(extract(epoch FROM now() - l.updated_at), 0) * $3) >= 1,
	tokens = least($2, l.tokens + greatest(extract(epoch FROM now() - l.updated_at), 0) * $3)
		- CASE WHEN least($2, l.tokens + greatest(extract(epoch FROM now() - l.updated_at), 0) * $3) >= 1 THEN 1 ELSE 0 END,
	updated_at = greatest(l.updated_at, now())
RETURNING taken, tokens`

// Take spends one attempt of network and returns 0, or, when it has none left,
// how long until it has one.
func (l *Limiter) Take(ctx context.Context, network string) (time.Duration, error) {
	rate := float64(l.cfg.Attempts) / l.cfg.Per.Seconds() // attempts per second
	var taken bool
	var tokens float64
	if err := l.db.QueryRow(ctx, sqlTake, network, float64(l.cfg.Attempts), rate).Scan(&taken, &tokens); err != nil {
		return 0, fmt.Errorf("count login attempt: %w", err)
	}
	if taken {
		return 0, nil
	}
	return time.Duration((1 - tokens) / rate * float64(time.Second)), nil
}

// Wait returns how long email must wait before its next attempt from network; 0
// when it may try now.
func (l *Limiter) Wait(ctx context.Context, email, network string) (time.Duration, error) {
	var secs float64
	err := l.db.QueryRow(ctx, `SELECT COALESCE(extract(epoch FROM wait_until - now()), 0)::float8
		FROM login_failures WHERE email = $1 AND network = $2`, normal(email), network).Scan(&secs)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read failed logins: %w", err)
	}
	return max(0, time.Duration(secs*float64(time.Second))), nil
}

// sqlFail counts one more failure and, past Free, sets the wait: Base doubled for
// every failure beyond the first delayed one, at most Max.
const sqlFail = `INSERT INTO login_failures AS f (email, network, fails, wait_until)
VALUES ($1, $2, 1, CASE WHEN 1 > $3 THEN now() + make_interval(secs => $4) END)
ON CONFLICT (email, network) DO UPDATE SET
	fails = f.fails + 1,
	wait_until = CASE WHEN f.fails + 1 > $3
		THEN now() + make_interval(secs => least($5, $4 * power(2, least(f.fails + 1 - $3, 40) - 1)))
		END,
	updated_at = now()`

// Fail records a failed login of email from network.
func (l *Limiter) Fail(ctx context.Context, email, network string) error {
	if _, err := l.db.Exec(ctx, sqlFail, normal(email), network, l.cfg.Free, l.cfg.Base.Seconds(), l.cfg.Max.Seconds()); err != nil {
		return fmt.Errorf("record failed login: %w", err)
	}
	return nil
}

// Reset forgets email's failures from network, after it logged in.
func (l *Limiter) Reset(ctx context.Context, email, network string) error {
	if _, err := l.db.Exec(ctx, `DELETE FROM login_failures WHERE email = $1 AND network = $2`, normal(email), network); err != nil {
		return fmt.Errorf("reset failed logins: %w", err)
	}
	return nil
}

// Prune deletes what no longer limits anyone: buckets untouched for longer than it
// takes them to fill again, and failures older than the longest wait whose wait is
// over. Housekeeping calls it; it returns how many rows went.
func (l *Limiter) Prune(ctx context.Context) (int64, error) {
	a, err := l.db.Exec(ctx, `DELETE FROM login_networks WHERE updated_at < now() - make_interval(secs => $1)`, l.cfg.Per.Seconds())
	if err != nil {
		return 0, fmt.Errorf("prune login limits: %w", err)
	}
	b, err := l.db.Exec(ctx, `DELETE FROM login_failures WHERE updated_at < now() - make_interval(secs => $1)
		AND (wait_until IS NULL OR wait_until < now())`, math.Max(l.cfg.Max.Seconds(), l.cfg.Per.Seconds()))
	if err != nil {
		return 0, fmt.Errorf("prune failed logins: %w", err)
	}
	return a.RowsAffected() + b.RowsAffected(), nil
}

// normal is an email as the limits count it: trimmed and lower-cased, so that
// case and spaces do not make another account.
func normal(email string) string { return strings.ToLower(strings.TrimSpace(email)) }
