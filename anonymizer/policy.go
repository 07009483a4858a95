package anonymizer

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/wippidu/wippidu/schema"
)

//go:embed policy.conf
var defaultPolicy string

// Keep is the word that classifies a column as loaded as it is (with the free-text
// replacements of the kept text it holds).
const Keep = "keep"

// Reasons a column may be kept for. Text and JSON are free text, rebuilt by the
// allow-list; a text column kept for any other reason keeps only values of that
// reason's shape (shape.go).
var Reasons = []string{"id", "reference", "timestamp", "date", "enum", "code", "locale", "number", "flag", "money",
	"mime_type", "text", "json"}

// Rule is one line of the policy: a column, or one key of a JSON column, and what
// an import does with it.
type Rule struct {
	Anonymizer string   // the switch that covers it, or Keep
	Table      string   //
	Column     string   //
	Path       []string // JSON keys from the column's root; empty for the whole column
	Method     string   // what replaces it (anonymizers)
	Reason     string   // why it is kept (Keep)
	Line       int      // where it is in the policy
}

// Name is how people see the rule's target: table.column, or table.column->key->….
func (r Rule) Name() string {
	n := r.Table + "." + r.Column
	for _, k := range r.Path {
		n += "->" + k
	}
	return n
}

// Policy is the parsed data policy: every rule, in file order.
type Policy struct {
	Rules   []Rule
	columns map[string]int // table.column → index of its whole-column rule
}

// DefaultPolicy returns the policy shipped with wippidu (policy.conf).
func DefaultPolicy() *Policy {
	p, err := ParsePolicy(strings.NewReader(defaultPolicy))
	if err != nil {
		panic("anonymizer: shipped policy.conf is invalid: " + err.Error())
	}
	return p
}

// ParsePolicy reads a policy: lines of "<anonymizer> <table>.<column>[-><key>…]
// <method>" or "keep <table>.<column> <reason>", blank lines and #-comments
// ignored. Unknown anonymizers, methods or reasons, malformed lines, a column
// classified twice and a JSON key of a column not kept as json are errors.
func ParsePolicy(r io.Reader) (*Policy, error) {
	p := &Policy{columns: map[string]int{}}
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
		rule, err := parseRule(f, n)
		if err != nil {
			return nil, err
		}
		if prev, dup := seen[rule.Name()]; dup {
			return nil, fmt.Errorf("policy line %d: %s is already covered on line %d", n, rule.Name(), prev)
		}
		seen[rule.Name()] = n
		if len(rule.Path) == 0 {
			p.columns[rule.Table+"."+rule.Column] = len(p.Rules)
		}
		p.Rules = append(p.Rules, rule)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	for _, r := range p.Rules {
		if len(r.Path) == 0 {
			continue
		}
		if c := p.Column(r.Table, r.Column); c == nil || c.Anonymizer != Keep || c.Reason != "json" {
			return nil, fmt.Errorf("policy line %d: %s names a JSON key, but %s.%s is not classified \"keep … json\"", r.Line, r.Name(), r.Table, r.Column)
		}
	}
	return p, nil
}

func parseRule(f []string, n int) (Rule, error) {
	if len(f) != 3 {
		return Rule{}, fmt.Errorf("policy line %d: want \"<anonymizer> <table>.<column> <method>\" or \"keep <table>.<column> <reason>\", got %d fields", n, len(f))
	}
	r := Rule{Anonymizer: f[0], Line: n}
	if f[0] != Keep && !isKey(f[0]) {
		return r, fmt.Errorf("policy line %d: unknown anonymizer %q (known: %s, or %s)", n, f[0], strings.Join(Keys, ", "), Keep)
	}
	target := strings.Split(f[1], "->")
	table, column, ok := strings.Cut(target[0], ".")
	if !ok || !schema.IsIdent(table) || !schema.IsIdent(column) {
		return r, fmt.Errorf("policy line %d: %q is not table.column", n, f[1])
	}
	r.Table, r.Column = table, column
	for _, k := range target[1:] {
		if k == "" {
			return r, fmt.Errorf("policy line %d: %q has an empty JSON key", n, f[1])
		}
		r.Path = append(r.Path, k)
	}
	switch {
	case f[0] == Keep && len(r.Path) > 0:
		return r, fmt.Errorf("policy line %d: a JSON key is kept by its column's rule, not a line of its own", n)
	case f[0] == Keep:
		if !slices.Contains(Reasons, f[2]) {
			return r, fmt.Errorf("policy line %d: unknown reason %q (known: %s)", n, f[2], strings.Join(Reasons, ", "))
		}
		r.Reason = f[2]
	default:
		m, ok := methods[f[2]]
		if !ok {
			return r, fmt.Errorf("policy line %d: unknown method %q", n, f[2])
		}
		if len(r.Path) > 0 && !m.json {
			return r, fmt.Errorf("policy line %d: method %q cannot replace a JSON key", n, f[2])
		}
		r.Method = f[2]
	}
	return r, nil
}

// Column returns the whole-column rule of table.column, or nil when the policy
// does not classify it.
func (p *Policy) Column(table, column string) *Rule {
	i, ok := p.columns[table+"."+column]
	if !ok {
		return nil
	}
	return &p.Rules[i]
}

// keyRules returns the JSON key rules of table.column.
func (p *Policy) keyRules(table, column string) []Rule {
	var out []Rule
	for _, r := range p.Rules {
		if len(r.Path) > 0 && r.Table == table && r.Column == column {
			out = append(out, r)
		}
	}
	return out
}

// Unclassified lists, as table.column, the columns of cat that the policy does not
// classify: the gaps a migration must fill in policy.conf.
func (p *Policy) Unclassified(cat *schema.Catalog) []string {
	var out []string
	for _, t := range cat.Tables {
		for _, c := range t.Columns {
			if p.Column(t.Name, c.Name) == nil {
				out = append(out, t.Name+"."+c.Name)
			}
		}
	}
	return out
}

// Stale lists the policy's rules for tables or columns cat does not have.
func (p *Policy) Stale(cat *schema.Catalog) []string {
	var out []string
	for _, r := range p.Rules {
		if t := cat.Table(r.Table); t == nil || t.Column(r.Column) == nil {
			out = append(out, r.Name())
		}
	}
	return out
}

func isKey(s string) bool { return slices.Contains(Keys, s) }
