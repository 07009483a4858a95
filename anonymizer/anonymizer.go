// Package anonymizer scrubs personal data from rows while a dump is imported.
//
// Seven anonymizers (emails, names, contacts, passwords, bodies, attachments,
// birth_dates) are all on by default; switching any off requires the risk
// acknowledgement text RiskAck. The data policy, policy.conf, classifies every
// column of every app table, deny by default: an anonymizer's method replaces it,
// or it is kept for a stated reason. Kept free text is rebuilt by allow-list: a
// token stays only when at least CommonWriters people wrote it (Census) and it is
// no name, email, phone number, IBAN, street or birth date; the dump's own people,
// which an import reads into a dictionary (People) before the first text is
// written, get their fakes, every other rare token a fake of its kind. Kept
// structured text keeps only values of its reason's shape. Before it commits, the
// import asks the leak check whether any production value, or any token the
// allow-list would not let through, is left.
package anonymizer

import (
	"crypto/rand"
	"fmt"
	"hash"
	"slices"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/schema"
)

// The anonymizer keys, in the order they are shown to admins.
const (
	Emails      = "emails"
	Names       = "names"
	Contacts    = "contacts"
	Passwords   = "passwords"
	Bodies      = "bodies"
	Attachments = "attachments"
	BirthDates  = "birth_dates"
)

// Keys lists every anonymizer.
var Keys = []string{Emails, Names, Contacts, Passwords, Bodies, Attachments, BirthDates}

// Descriptions tell admins what each anonymizer does.
var Descriptions = map[string]string{
	Emails:      "Replace email addresses → user-<id>@staging.local",
	Names:       "Replace names → deterministic fake German names",
	Contacts:    "Blank contact details (address, phone)",
	Passwords:   "Reset passwords → all set to " + StagingPassword,
	Bodies:      "Scrub message and parental-letter bodies → " + ScrubbedText,
	Attachments: "Replace attachments with a 1×1 placeholder PNG (filename and MIME type preserved)",
	BirthDates:  "Replace birth dates → a day of the same school year, chosen from the student's id alone",
}

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

// Anonymizer applies the data policy during one import.
type Anonymizer struct {
	policy       *Policy
	off          map[string]bool
	salt         []byte
	passwordHash []byte
	// importKey keys every replacement derived from a value rather than a row's
	// id (a stand-in email address, fake digits, a fake word): random for each
	// import and never stored, so that no one can confirm a guessed value from
	// its replacement afterwards, salt or not. One import is consistent in itself.
	importKey []byte
	// letThrough leaves replacements of these kinds unmade. Only tests set it:
	// they prove that the leak check finds what the anonymizer would let through.
	letThrough map[wippidu.ReplacedKind]bool

	people *People
	allow  allowList
	tables map[string]*tableInfo // the instance's app tables, once prepared
	leaks  *leakCheck
	scrub  scrubber // reused from value to value; its context from row to row
	// The keyed hashes of nameHash and valueHash and their buffers, reused (mac):
	// like scrub, an Anonymizer serves one import's goroutine at a time.
	nameMAC, valueMAC hash.Hash
	macIn, macOut     []byte
}

// New prepares an import's anonymizer. off lists the anonymizers switched off (the
// caller has checked the risk acknowledgement). The staging password's hash is made
// by the first import of the process and shared by the later ones (see
// stagingPasswordHash). A salt CheckSalt refuses is refused here too.
func New(policy *Policy, off []string, salt string) (*Anonymizer, error) {
	if err := CheckSalt(salt); err != nil {
		return nil, err
	}
	a := &Anonymizer{policy: policy, off: map[string]bool{}, salt: []byte(salt), leaks: newLeakCheck(), importKey: make([]byte, 32)}
	if _, err := rand.Read(a.importKey); err != nil {
		return nil, fmt.Errorf("draw the import's key: %w", err)
	}
	for _, k := range off {
		if !isKey(k) {
			return nil, fmt.Errorf("unknown anonymizer %q", k)
		}
		a.off[k] = true
	}
	if !a.off[Passwords] {
		h, err := stagingPasswordHash()
		if err != nil {
			return nil, fmt.Errorf("hash staging password: %w", err)
		}
		a.passwordHash = h
	}
	return a, nil
}

// stagingPasswordHash is the bcrypt hash of StagingPassword, made once per process:
// the password is the same for every import and known to everyone on staging, so
// a salt of its own per import protects nothing, and a worker would pay bcrypt's
// cost on every import.
var stagingPasswordHash = sync.OnceValues(func() ([]byte, error) {
	return bcrypt.GenerateFromPassword([]byte(StagingPassword), bcrypt.DefaultCost)
})

// Policy is the data policy the anonymizer applies.
func (a *Anonymizer) Policy() *Policy { return a.policy }

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

// RiskAccepted reports whether the admin switched anything off with the risk
// acknowledgement: then what the leak check finds is listed instead of failing the
// import (the switched-off anonymizers' columns are loaded as they are).
func (a *Anonymizer) RiskAccepted() bool { return len(a.off) > 0 }

// tableInfo is what the anonymizer knows of an app table: whose people it holds
// or refers to.
type tableInfo struct {
	people int   // index among the people tables, -1 if it holds no people
	refs   []Ref // its single-column foreign keys to people tables
	link   bool  // it links people of two people tables (guardianships)
}

// Ref is a single-column foreign key to a people table; as a row's Ref, the
// person it points to.
type Ref struct {
	Column string // the referencing column
	People int    // the people table it points to
	ID     int64  // in a row: the value, 0 for NULL
}

// Prepare reads the instance's catalog: which tables hold people, which refer to
// them, and which link two people (see Policy.PeopleFirst). It returns what the
// import must read for the dictionary, by table.
func (a *Anonymizer) Prepare(cat *schema.Catalog) map[string]*Source {
	a.tables = a.policy.tableInfos(cat)
	var peopleTables []string
	for _, t := range cat.Tables {
		if a.tables[t.Name].people >= 0 {
			peopleTables = append(peopleTables, t.Name)
		}
	}
	a.people = newPeople(peopleTables)
	sources := map[string]*Source{}
	for _, t := range cat.Tables {
		if s := a.source(t); s != nil {
			sources[t.Name] = s
		}
	}
	return sources
}

// tableInfos tells, for each table of cat, whose people it holds or refers to.
func (p *Policy) tableInfos(cat *schema.Catalog) map[string]*tableInfo {
	infos := map[string]*tableInfo{}
	n := 0
	for _, t := range cat.Tables {
		info := &tableInfo{people: -1}
		for _, c := range t.Columns {
			if r := p.Column(t.Name, c.Name); r != nil && r.Method != "" && isPersonal(methods[r.Method].role) {
				info.people = n
				n++
				break
			}
		}
		infos[t.Name] = info
	}
	for _, t := range cat.Tables {
		infos[t.Name].refs, infos[t.Name].link = peopleRefs(infos, t)
	}
	return infos
}

// PeopleFirst orders cat's tables for an export: the tables that hold people
// (users, students) first, then the tables that link them (guardianships), then
// the rest, each group in catalog order. An import reads the people before
// anything else, and stops reading for them as soon as it has them.
func (p *Policy) PeopleFirst(cat *schema.Catalog) []*schema.Table {
	infos := p.tableInfos(cat)
	rank := func(t *schema.Table) int {
		switch {
		case infos[t.Name].people >= 0:
			return 0
		case infos[t.Name].link:
			return 1
		}
		return 2
	}
	out := slices.Clone(cat.Tables)
	slices.SortStableFunc(out, func(a, b *schema.Table) int { return rank(a) - rank(b) })
	return out
}

func isPersonal(r role) bool { return r != roleNone && r != roleBody }

// peopleRefs returns a table's single-column foreign keys to people tables, and
// whether it links people of two different tables and nothing else (a table whose
// foreign keys all point to people tables of two kinds, as guardianships link
// parents and children).
func peopleRefs(infos map[string]*tableInfo, t *schema.Table) ([]Ref, bool) {
	var refs []Ref
	other := false
	kinds := map[int]bool{}
	for _, fk := range t.ForeignKeys {
		to, ok := infos[fk.RefTable]
		if len(fk.Columns) != 1 || !ok || to.people < 0 {
			other = true
			continue
		}
		refs = append(refs, Ref{Column: fk.Columns[0], People: to.people})
		kinds[to.people] = true
	}
	// In the table's column order: a message's sender before its recipient.
	pos := func(col string) int {
		return slices.IndexFunc(t.Columns, func(c schema.Column) bool { return c.Name == col })
	}
	slices.SortStableFunc(refs, func(a, b Ref) int { return pos(a.Column) - pos(b.Column) })
	return refs, !other && len(kinds) >= 2 && infos[t.Name].people < 0
}

// Sealed finishes the dictionary: call it once every Source has been read.
func (a *Anonymizer) Sealed() *People {
	a.people.seal()
	return a.people
}
