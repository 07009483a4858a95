// Package wippidu holds what the whole data refresh shares: the errors users see,
// with codes that the web tier and the command line map to statuses in one place.
package wippidu

import (
	"errors"
	"fmt"
)

// Error codes.
const (
	EINVALID   = "invalid"   // bad input: a form, a flag, a dump
	EFORBIDDEN = "forbidden" // a gate refused the request
	ECONFLICT  = "conflict"  // another import is queued or running
	ENOTFOUND  = "not_found"
	EINTERNAL  = "internal"

	EUNAUTHORIZED = "unauthorized"      // not logged in, or wrong credentials
	ETOOLARGE     = "too_large"         // an upload above the configured limit
	ETOOMANY      = "too_many_requests" // e.g. failed logins being slowed down
	EMETHOD       = "method_not_allowed"
	EUNAVAILABLE  = "unavailable" // a storage this instance depends on cannot be reached
)

// Error is an error whose Message may be shown to a user as it is.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Messages users see. The exact texts are part of the product's contract.
var (
	ErrImportDisabled = &Error{EFORBIDDEN, "Import is not enabled on this instance."}
	ErrHostMismatch   = &Error{EFORBIDDEN, "The hostname you entered does not match this instance."}
	ErrRiskNotAcked   = &Error{EFORBIDDEN, "Switching off an anonymizer requires typing I_UNDERSTAND_THE_PII_RISK into the risk-acknowledgement field."}
	ErrImportBusy     = &Error{ECONFLICT, "Another import is already queued or running on this instance. Wait for it to finish, or cancel it."}
	ErrNotADump       = &Error{EINVALID, "The file is not a wippidu export (.json.gz)."}
	// ErrUploadGone answers a retry of an import whose upload was deleted: it is
	// production's raw data, kept after a failure only for FAILED_UPLOAD_RETENTION.
	ErrUploadGone = &Error{EINVALID, "The uploaded dump of this import is no longer stored: it was deleted after the import failed or was cancelled, because it holds production's personal data. Upload the file again to import it."}

	ErrNoSource       = &Error{EFORBIDDEN, "This instance has no SOURCE_STORAGE_URL: there is no production storage to import from."}
	ErrSourceNotFound = &Error{ENOTFOUND, "No such export in production storage. Reload the list and choose one of its exports."}
	// The encrypted dumps' messages (package sealed): a dump that staging cannot
	// read is refused before anything changes, and says what to do about it.
	ErrDumpEncrypted = &Error{EINVALID, "This dump is encrypted; set IMPORT_IDENTITY on the staging workers to the age identity it was encrypted to. Nothing was changed."}
	ErrWrongIdentity = &Error{EINVALID, "This dump is encrypted, and IMPORT_IDENTITY does not decrypt it (it was encrypted to other keys). Nothing was changed."}
)

// SourceUnreadable is the refusal of an export in production storage whose
// header cannot be read: cause's own message when it is an *Error (not a dump,
// too new, encrypted without a key), else what went wrong.
func SourceUnreadable(name string, cause error) *Error {
	var e *Error
	if errors.As(cause, &e) {
		return Errorf(EINVALID, "%s: %s", name, e.Message)
	}
	return Errorf(EINVALID, "The export %s in production storage cannot be read: %v", name, cause)
}

// SourceUnavailable is the failure to reach production storage at all.
func SourceUnavailable(cause error) *Error {
	return Errorf(EUNAVAILABLE, "Production storage (SOURCE_STORAGE_URL) cannot be read right now: %v", cause)
}

// DumpDamaged is the refusal of an encrypted dump whose bytes fail age's
// authentication: damaged in storage or in transit, or altered on purpose. where
// says what failed ("its data fails to authenticate at byte 734003200").
func DumpDamaged(where string) *Error {
	return Errorf(EINVALID, "The encrypted dump is damaged or was altered: %s. Nothing was changed.", where)
}

// Errorf returns an Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL otherwise.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err: an *Error's own message, or a
// generic one for internal errors (whose details belong in logs and audit rows).
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}
