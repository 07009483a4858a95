// Package accounts keeps staging locked across a refresh. An import replaces every
// user with production's; inside the same transaction this package carries
// staging's own admins over (the admin who started the import and STAGING_ADMINS
// keep their email, password and admin role), demotes production's admins when
// IMPORTED_ADMINS=demote (the default), and ends every web session but the kept
// admins'. It also decides who may do data work at all (DataRights): only
// staging's own admins, logged in with a password of their own.
package accounts

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/wippidu/wippidu/schema"
	"github.com/wippidu/wippidu/sessions"
)

// The roles this package hands out: admins kept, and the role with the fewest
// rights, which demoted admins get.
const (
	adminRole = "admin"
	leastRole = "parent"
)

// keptTable holds the kept accounts between Save and Restore; it goes with the
// import's transaction.
const keptTable = "wippidu_kept_users"

// Keeper carries accounts over one import.
type Keeper struct {
	Emails []string // of the accounts to keep (any case)
	Demote bool     // production's admins become parents
}

// Save remembers the kept accounts, as staging has them, before the import empties
// the app tables. It runs inside the import's transaction.
func (k *Keeper) Save(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `CREATE TEMP TABLE `+keptTable+` ON COMMIT DROP AS
		SELECT * FROM users WHERE lower(email) = ANY($1) AND deleted_at IS NULL`, k.lower())
	if err != nil {
		return fmt.Errorf("remember staging's own admins: %w", err)
	}
	return nil
}

func (k *Keeper) lower() []string {
	out := make([]string, 0, len(k.Emails))
	for _, e := range k.Emails {
		if e = strings.ToLower(strings.TrimSpace(e)); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// Restore runs once the dump is loaded and the sequences are past the loaded ids:
// it demotes production's admins if asked, puts the kept accounts back as admins
// (an imported account with the same email takes their password and role; any
// other gets a fresh id past the loaded ones), and ends every web session but
// theirs, whose sessions now name their new ids. It returns the kept emails.
func (k *Keeper) Restore(ctx context.Context, tx pgx.Tx) ([]string, error) {
	if k.Demote {
		if _, err := tx.Exec(ctx, `UPDATE users SET role = $1 WHERE role = $2`, leastRole, adminRole); err != nil {
			return nil, fmt.Errorf("demote imported admins: %w", err)
		}
	}
	cat, err := schema.LoadCatalog(ctx, tx)
	if err != nil {
		return nil, err
	}
	users := cat.Table("users")
	if users == nil {
		return nil, fmt.Errorf("keep staging's admins: this instance has no users table")
	}
	var cols []string
	for _, c := range users.Columns {
		if c.Name != "id" {
			cols = append(cols, pgx.Identifier{c.Name}.Sanitize())
		}
	}
	list := strings.Join(cols, ", ")
	// An imported account with a kept email (after an opt-out of the emails
	// anonymizer, say) becomes the kept admin.
	if _, err := tx.Exec(ctx, `UPDATE users u SET password_hash = k.password_hash, role = $1, updated_at = now()
		FROM `+keptTable+` k WHERE lower(u.email) = lower(k.email) AND u.deleted_at IS NULL`, adminRole); err != nil {
		return nil, fmt.Errorf("keep staging's admins: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO users (`+list+`) SELECT `+list+` FROM `+keptTable+` k
		WHERE NOT EXISTS (SELECT 1 FROM users u WHERE lower(u.email) = lower(k.email) AND u.deleted_at IS NULL)`); err != nil {
		return nil, fmt.Errorf("keep staging's admins: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE users SET role = $1 WHERE lower(email) IN (SELECT lower(email) FROM `+keptTable+`)
		AND deleted_at IS NULL`, adminRole); err != nil {
		return nil, fmt.Errorf("keep staging's admins: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT u.email FROM users u JOIN `+keptTable+` k ON lower(u.email) = lower(k.email)
		WHERE u.deleted_at IS NULL ORDER BY lower(u.email)`)
	if err != nil {
		return nil, fmt.Errorf("keep staging's admins: %w", err)
	}
	kept, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("keep staging's admins: %w", err)
	}
	lower := make([]string, len(kept))
	for i, e := range kept {
		lower[i] = strings.ToLower(e)
	}
	if err := sessions.EndAllBut(ctx, tx, lower); err != nil {
		return nil, err
	}
	return kept, nil
}
