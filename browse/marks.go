package browse

import (
	"slices"
	"strings"

	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/schema"
)

// Column is one column of a table with what the data policy has an import do to
// it, and whether the import whose data the instance holds loaded it as it was.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"` // format_type(), e.g. "timestamp with time zone"
	// Anonymizer is the switch whose Method replaces the column; empty for a kept
	// or unclassified column.
	Anonymizer string `json:"anonymizer"`
	Method     string `json:"method,omitempty"`
	// Reason is why a kept column is kept (anonymizer.Reasons).
	Reason string `json:"reason,omitempty"`
	// FreeText says the column is kept as text or JSON: rebuilt by the
	// allow-list, every word of it that fewer than anonymizer.CommonWriters
	// people wrote, and every name, email, phone number, street, IBAN and birth
	// date, replaced.
	FreeText bool `json:"free_text"`
	// FreeTextKept lists the switches of that replacement (emails, names,
	// contacts) that the import had switched off.
	FreeTextKept []string  `json:"free_text_kept,omitempty"`
	Keys         []KeyRule `json:"keys,omitempty"` // JSON keys replaced by a method
	// Classified is false for a column the policy does not know.
	Classified bool `json:"classified"`
	// Secret columns (password hashes) show only their first SecretRunes
	// characters: enough to see that every hash is the one of the staging
	// password, not enough to attack a kept admin's or production's.
	Secret bool `json:"secret,omitempty"`
	// Unscrubbed says why the import loaded the column as it was (its switch was
	// off, or it is not classified); empty when it did not.
	Unscrubbed string `json:"unscrubbed,omitempty"`
}

// Personal reports whether the column holds a person's data by the policy, or
// was loaded unscrubbed.
func (c Column) Personal() bool { return c.Anonymizer != "" || c.Unscrubbed != "" }

// KeyRule is a JSON key of a kept JSON column that a method replaces.
type KeyRule struct {
	Path       string `json:"path"` // key->key
	Anonymizer string `json:"anonymizer"`
	Method     string `json:"method"`
}

// freeTextSwitches are the anonymizers that replace people inside kept text.
var freeTextSwitches = []string{anonymizer.Emails, anonymizer.Names, anonymizer.Contacts}

// marks classifies columns by the policy and the last import's result.
type marks struct {
	policy     *anonymizer.Policy
	unscrubbed map[string]string // table.column → why
	skipped    []string          // anonymizers the import switched off
}

func newMarks(p *anonymizer.Policy, q Query) *marks {
	m := &marks{policy: p, unscrubbed: map[string]string{}, skipped: q.AnonymizersSkipped}
	for _, u := range q.Unscrubbed {
		m.unscrubbed[u.Column] = u.Why
	}
	return m
}

// columns marks every column of t.
func (m *marks) columns(t *schema.Table) []Column {
	out := make([]Column, 0, len(t.Columns))
	for _, c := range t.Columns {
		col := Column{Name: c.Name, Type: c.Type, Unscrubbed: m.unscrubbed[t.Name+"."+c.Name]}
		if rule := m.policy.Column(t.Name, c.Name); rule != nil {
			col.Classified = true
			if rule.Anonymizer == anonymizer.Keep {
				col.Reason = rule.Reason
				col.FreeText = anonymizer.IsFreeText(rule.Reason)
			} else {
				col.Anonymizer, col.Method = rule.Anonymizer, rule.Method
				col.Secret = rule.Anonymizer == anonymizer.Passwords
			}
		}
		if col.FreeText {
			for _, k := range freeTextSwitches {
				if slices.Contains(m.skipped, k) {
					col.FreeTextKept = append(col.FreeTextKept, k)
				}
			}
		}
		for _, r := range m.policy.Rules {
			if len(r.Path) > 0 && r.Table == t.Name && r.Column == c.Name {
				col.Keys = append(col.Keys, KeyRule{Path: strings.Join(r.Path, "->"), Anonymizer: r.Anonymizer, Method: r.Method})
			}
		}
		out = append(out, col)
	}
	return out
}

// summary is t's line of the overview.
func (m *marks) summary(t *schema.Table, n Count) TableSummary {
	s := TableSummary{Name: t.Name, Count: n, Anonymizers: []string{}, Unscrubbed: []string{}}
	for _, c := range m.columns(t) {
		keys := []string{c.Anonymizer}
		for _, k := range c.Keys {
			keys = append(keys, k.Anonymizer)
		}
		for _, k := range keys {
			if k != "" && !slices.Contains(s.Anonymizers, k) {
				s.Anonymizers = append(s.Anonymizers, k)
			}
		}
		if c.Unscrubbed != "" {
			s.Unscrubbed = append(s.Unscrubbed, c.Name)
		}
	}
	return s
}
