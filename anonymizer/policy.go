// Package anonymizer scrubs personal data from rows while a dump is imported.
//
// Six anonymizers (emails, names, contacts, passwords, bodies, attachments) are all on
// by default. Which columns each covers is declared in one policy file, policy.conf,
// so that a new personal-data column is a one-line change. Switching any anonymizer
// off requires the risk acknowledgement text RiskAck.
package anonymizer

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"strings"
)

//go:embed policy.conf
var defaultPolicy string

// The anonymizer keys, in the order they are shown to admins.
const (
	Emails      = "emails"
	Names       = "names"
	Contacts    = "contacts"
	Passwords   = "passwords"
	Bodies      = "bodies"
	Attachments = "attachments"
)

// Keys lists every anonymizer.
var Keys = []string{Emails, Names, Contacts, Passwords, Bodies, Attachments}

// Descriptions tell admins what each anonymizer does.
var Descriptions = map[string]string{
	Emails:      "Replace email addresses → user-<id>@staging.local",
	Names:       "Replace names → deterministic fake German names",
	Contacts:    "Blank contact details (address, phone)",
	Passwords:   "Reset passwords → all set to " + StagingPassword,
	Bodies:      "Scrub message and parental-letter bodies → " + ScrubbedText,
	Attachments: "Replace attachments with a 1×1 placeholder PNG (filename and MIME type preserved)",
}

// Rule maps one column to the anonymizer that covers it and the method it applies.
type Rule struct {
	Anonymizer string
	Table      string
	Column     string
	Method     string
}

// Policy is the parsed policy: every rule, in file order.
type Policy struct {
	Rules []Rule
}

// DefaultPolicy returns the policy shipped with wippidu (policy.conf).
func DefaultPolicy() *Policy {
	p, err := ParsePolicy(strings.NewReader(defaultPolicy))
	if err != nil {
		panic("anonymizer: shipped policy.conf is invalid: " + err.Error())
	}
	return p
}

// ParsePolicy reads a policy: lines of "<anonymizer> <table>.<column> <method>",
// blank lines and #-comments ignored. Unknown anonymizers or methods, malformed
// lines and a column listed twice are errors.
func ParsePolicy(r io.Reader) (*Policy, error) {
	p := &Policy{}
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 64<<10)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("policy line %d: want \"<anonymizer> <table>.<column> <method>\", got %d fields", n, len(f))
		}
		if !isKey(f[0]) {
			return nil, fmt.Errorf("policy line %d: unknown anonymizer %q (known: %s)", n, f[0], strings.Join(Keys, ", "))
		}
		table, column, ok := strings.Cut(f[1], ".")
		if !ok || !isIdent(table) || !isIdent(column) {
			return nil, fmt.Errorf("policy line %d: %q is not table.column", n, f[1])
		}
		if _, ok := methods[f[2]]; !ok {
			return nil, fmt.Errorf("policy line %d: unknown method %q", n, f[2])
		}
		if prev, dup := seen[f[1]]; dup {
			return nil, fmt.Errorf("policy line %d: %s is already covered on line %d", n, f[1], prev)
		}
		seen[f[1]] = n
		p.Rules = append(p.Rules, Rule{Anonymizer: f[0], Table: table, Column: column, Method: f[2]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	return p, nil
}

func isKey(s string) bool {
	for _, k := range Keys {
		if k == s {
			return true
		}
	}
	return false
}

// isIdent accepts lower-case SQL identifiers, the only kind the app's schema uses.
func isIdent(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c == '_':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
