package accounts

import (
	"context"
	"slices"
	"strings"

	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/audit"
)

// OwnEmails returns the emails (lower-cased) of this instance's own admins: the
// accounts the last import kept, and STAGING_ADMINS. An export never carries their
// password hashes.
func OwnEmails(ctx context.Context, db audit.DB, stagingAdmins []string) ([]string, error) {
	last, err := audit.LastImport(ctx, db)
	if err != nil {
		return nil, err
	}
	var own []string
	for _, e := range stagingAdmins {
		own = append(own, strings.ToLower(strings.TrimSpace(e)))
	}
	if last != nil {
		for _, e := range last.KeptAccounts {
			own = append(own, strings.ToLower(e))
		}
	}
	slices.Sort(own)
	return slices.Compact(own), nil
}

// Login is what a login tells about the account, for DataRights.
type Login struct {
	Email    string
	Role     string
	Password string // as typed; checked already
}

// DataRights decides whether a login may do data work (import, preview, export,
// River UI): only an admin of the instance's own, logged in with a password of its
// own. An account that came with an import never may, whatever IMPORTED_ADMINS
// says: anyone who knows production's address scheme and the staging password
// could log in as it. Nor may any account that logs in with the staging password.
// Once the instance has been refreshed, its own accounts are the ones the last
// import kept (package accounts' Keeper: the importing admin and STAGING_ADMINS).
func DataRights(ctx context.Context, db audit.DB, l Login) (bool, error) {
	if l.Role != adminRole || l.Password == anonymizer.StagingPassword {
		return false, nil
	}
	last, err := audit.LastImport(ctx, db)
	if err != nil || last == nil {
		return err == nil, err
	}
	return slices.ContainsFunc(last.KeptAccounts, func(e string) bool { return strings.EqualFold(e, l.Email) }), nil
}
