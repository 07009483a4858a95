package anonymizer

import (
	"fmt"
	"slices"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/wippidu/wippidu"
)

// RiskAck is the exact text an admin must give to switch any anonymizer off.
const RiskAck = "I_UNDERSTAND_THE_PII_RISK"

// ParseKeep parses a comma-separated list of anonymizers to switch off ("--keep").
func ParseKeep(list string) ([]string, error) {
	var out []string
	for _, k := range strings.Split(list, ",") {
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		if !isKey(k) {
			return nil, fmt.Errorf("unknown anonymizer %q (known: %s)", k, strings.Join(Keys, ", "))
		}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out, nil
}

// CheckOptOut enforces the rule that switching off any anonymizer needs riskAck to
// be exactly RiskAck (wippidu.ErrRiskNotAcked otherwise).
func CheckOptOut(off []string, riskAck string) error {
	for _, k := range off {
		if !isKey(k) {
			return fmt.Errorf("unknown anonymizer %q", k)
		}
	}
	if len(off) > 0 && riskAck != RiskAck {
		return wippidu.ErrRiskNotAcked
	}
	return nil
}

// Anonymizer applies the enabled anonymizers of a policy during one import.
type Anonymizer struct {
	policy       *Policy
	off          map[string]bool
	salt         []byte
	passwordHash []byte
}

// New prepares an import's anonymizer. off lists the anonymizers switched off (the
// caller has checked the risk acknowledgement). The staging password is hashed here,
// once per import.
func New(policy *Policy, off []string, salt string) (*Anonymizer, error) {
	a := &Anonymizer{policy: policy, off: map[string]bool{}, salt: []byte(salt)}
	for _, k := range off {
		if !isKey(k) {
			return nil, fmt.Errorf("unknown anonymizer %q", k)
		}
		a.off[k] = true
	}
	if !a.off[Passwords] {
		h, err := bcrypt.GenerateFromPassword([]byte(StagingPassword), bcrypt.DefaultCost)
		if err != nil {
			return nil, fmt.Errorf("hash staging password: %w", err)
		}
		a.passwordHash = h
	}
	return a, nil
}

// Ran lists the anonymizers that are on, in display order.
func (a *Anonymizer) Ran() []string {
	out := []string{}
	for _, k := range Keys {
		if !a.off[k] {
			out = append(out, k)
		}
	}
	return out
}

// Skipped lists the anonymizers switched off, in display order.
func (a *Anonymizer) Skipped() []string {
	out := []string{}
	for _, k := range Keys {
		if a.off[k] {
			out = append(out, k)
		}
	}
	return out
}

// ColumnRule is an enabled rule bound to its method.
type ColumnRule struct {
	Rule
	a  *Anonymizer
	fn method
}

// Apply appends the replacement value to dst. Bytes for bytea columns are raw.
func (r ColumnRule) Apply(dst []byte, row Row) (out []byte, null bool) {
	return r.fn(r.a, dst, row)
}

// Rules returns the enabled rules for a table.
func (a *Anonymizer) Rules(table string) []ColumnRule {
	var out []ColumnRule
	for _, r := range a.policy.Rules {
		if r.Table == table && !a.off[r.Anonymizer] {
			out = append(out, ColumnRule{Rule: r, a: a, fn: methods[r.Method]})
		}
	}
	return out
}
