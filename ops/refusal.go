package ops

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/jobs"
)

// The product's messages are the web form's words: they point at a field on the
// page in front of the admin. At the command line there is no page, so each
// refusal is followed by the setting or flag it is about and the values it
// compared.

// refused records a refused command in the audit history, as the web tier records
// refused requests, and returns it as the command's failure.
func (a *app) refused(ctx context.Context, r audit.Refusal, gate jobs.ImportGate, err error) error {
	err = a.explained(err, gate)
	var we *wippidu.Error
	if errors.As(err, &we) {
		r.ClientAddr, r.Reason = "cli", we.Message
		if _, aerr := audit.Refuse(context.WithoutCancel(ctx), a.pool, r); aerr != nil {
			a.logger.ErrorContext(ctx, "record refusal", slog.Any("error", aerr))
		}
	}
	return userError(err)
}

// explained returns err with the command line's specifics after the product's
// message, when err is one of the refusals that need them.
func (a *app) explained(err error, gate jobs.ImportGate) error {
	var we *wippidu.Error
	if !errors.As(err, &we) {
		return err
	}
	detail := a.refusalDetail(we, gate)
	if detail == "" {
		return err
	}
	return &wippidu.Error{Code: we.Code, Message: we.Message + " " + detail}
}

// refusalDetail names the setting or flag behind a refusal, and what was compared.
func (a *app) refusalDetail(err *wippidu.Error, gate jobs.ImportGate) string {
	switch err {
	case wippidu.ErrImportDisabled:
		return fmt.Sprintf("This instance has APP_ALLOW_PROD_IMPORT=%s; imports need APP_ALLOW_PROD_IMPORT=true "+
			"in the environment of staging's workers and web tier (never production's).", shown(a.env.Getenv("APP_ALLOW_PROD_IMPORT")))
	case wippidu.ErrHostMismatch:
		return fmt.Sprintf("--confirm-host %q is not this instance's APP_HOSTNAME %q (case and port are ignored).",
			gate.ConfirmHost, a.cfg.Hostname)
	case wippidu.ErrRiskNotAcked:
		got := "no --risk-ack"
		if gate.RiskAck != "" {
			got = fmt.Sprintf("--risk-ack %q", gate.RiskAck)
		}
		return fmt.Sprintf("--keep %s switches anonymizers off, which needs --risk-ack %s; the command line has %s.",
			strings.Join(gate.AnonymizersOff, ","), anonymizer.RiskAck, got)
	case wippidu.ErrImportBusy:
		return "'worker jobs list' shows it; 'worker jobs cancel ID' cancels it (ID: its RIVER JOB column)."
	case wippidu.ErrNoSource:
		return "--list-source and --from-source read production's exports from there."
	}
	return ""
}

// shown is a setting's value as a person reads it in a message.
func shown(v string) string {
	if strings.TrimSpace(v) == "" {
		return `"" (unset)`
	}
	return fmt.Sprintf("%q", v)
}
