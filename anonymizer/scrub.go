package anonymizer

import (
	"bytes"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
)

// span is a part of an output the anonymizer wrote itself (a fake name, a staging
// email): the leak check never counts what is there, even when a fake name happens
// to be spelled like a production one.
type span struct{ start, end int }

// scrubber rewrites the kept free text of one row's columns (freetext.go): it
// replaces the dump's own people by the fakes they got, and every other token the
// allow-list does not let through by a fake of its kind.
type scrubber struct {
	a        *Anonymizer
	pp       *People
	row      *Row
	rowSeq   int64 // the row the context below is for
	rowTable string
	ctx      []int32 // the row's people, in the order they are preferred
	ctxOK    bool
	spans    []span
	m        matcher
	plain    bool // the text is one ASCII word of sorts (a file name, a key)
	want     int  // what the matcher looks for, by the switches that are on
	edits    []edit
	repl     []byte // the replacements of edits
	key      []byte
}

// spell writes a fake name in place of orig, spelled the way orig is: capitals,
// lower case, and in ASCII in a text of ASCII without spaces, such as a file name
// ("attest_lotte_mueller.pdf").
func (s *scrubber) spell(dst, orig []byte, fake string) []byte {
	return matchCase(dst, orig, fake, s.plain)
}

// email is an email address found in a text, lower-cased.
type email struct {
	start, end int
	lower      []byte
}

// findEmails returns the email addresses in s.
func findEmails(s []byte) []email {
	var out []email
	from := 0
	for {
		at := bytes.IndexByte(s[from:], '@')
		if at < 0 {
			return out
		}
		at += from
		from = at + 1
		l := at
		for l > 0 && isEmailLocal(s[l-1]) {
			l--
		}
		r := at + 1
		for r < len(s) && isEmailDomain(s[r]) {
			r++
		}
		for r > at+1 && (s[r-1] == '.' || s[r-1] == '-') {
			r--
		}
		dot := bytes.LastIndexByte(s[at+1:r], '.')
		if l == at || dot <= 0 || r-(at+1+dot) < 3 {
			continue
		}
		out = append(out, email{start: l, end: r, lower: lowerInto(nil, s[l:r])})
		from = r
	}
}

func isEmailLocal(c byte) bool {
	return c|0x20 >= 'a' && c|0x20 <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

func isAlnum(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' || c >= '0' && c <= '9' }

func isEmailDomain(c byte) bool {
	return c|0x20 >= 'a' && c|0x20 <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-'
}

// stagingDomain is the domain of every email an import writes.
const stagingDomain = "@staging.local"

// emailFor is the staging address for a production one: the person's own when it is
// one of the dump's people, else a stand-in keyed by the import's own key.
func (s *scrubber) emailFor(lower []byte) []byte {
	if c := s.pp.emails.find(s.pp.hash(lower)); len(c) > 0 {
		return append(append([]byte("user-"), s.pp.idText(c[0])...), stagingDomain...)
	}
	h := s.a.valueHash("email", lower)
	return append(append([]byte("redacted-"), hex.EncodeToString(h[:4])...), stagingDomain...)
}

// phoneStart is where a phone number that t begins starts: at a '+' before it.
func phoneStart(src []byte, t token) int {
	if t.start > 0 && src[t.start-1] == '+' {
		return t.start - 1
	}
	return t.start
}

// phoneEnds lists where a phone number starting at start may end: after each run
// of digits, as long as the runs are joined by the separators people type.
func phoneEnds(src []byte, start int) []int { return phoneRuns(src, start, " /-().") }

// phoneRuns lists the ends of the runs of digits from start, joined by up to
// three bytes of seps.
func phoneRuns(src []byte, start int, seps string) []int {
	var ends []int
	i, digits := start, 0
	if i < len(src) && src[i] == '+' {
		i++
	}
	for i < len(src) && digits <= 20 {
		j := i
		for j < len(src) && src[j] >= '0' && src[j] <= '9' {
			j++
		}
		if j == i {
			break
		}
		digits += j - i
		ends = append(ends, j)
		k := j
		for k < len(src) && k-j < 3 && strings.IndexByte(seps, src[k]) >= 0 {
			k++
		}
		if k == j {
			break
		}
		i = k
	}
	return ends
}

// joinedBy reports whether consecutive tokens are separated by at most three bytes,
// all from set (and at least one).
func joinedBy(src []byte, toks []token, set string) bool {
	for k := 1; k < len(toks); k++ {
		gap := toks[k].start - toks[k-1].end
		if gap < 1 || gap > 3 || !only(src, toks[k-1].end, toks[k].start, set) {
			return false
		}
	}
	return true
}

// name returns the replacement of a production first or last name: the fake name
// of the row's own people where one of them bears it (a whole name before a word
// of one: "Ole" is the child called Ole before the one called Jan-Ole), else of
// the first person in the dump who does.
func (s *scrubber) name(word []byte, mt match) []byte {
	ctx := s.context()
	for _, pair := range [2][2][]int32{{mt.cands, mt.lasts}, {mt.parts, mt.lastParts}} {
		for _, p := range ctx {
			if has(pair[0], p) {
				first, _ := s.fakeNames(p)
				return s.spell(nil, word, first)
			}
			if has(pair[1], p) {
				_, last := s.fakeNames(p)
				return s.spell(nil, word, last)
			}
		}
	}
	for i, es := range [][]int32{mt.cands, mt.lasts, mt.parts, mt.lastParts} {
		if len(es) > 0 {
			first, last := s.fakeNames(es[0])
			if i%2 == 1 {
				return s.spell(nil, word, last)
			}
			return s.spell(nil, word, first)
		}
	}
	return nil
}

// has reports whether person p is among ps (sorted).
func has(ps []int32, p int32) bool {
	_, ok := slices.BinarySearch(ps, p)
	return ok
}

// choose picks among the people who bear a name: the row's own, else the first.
func (s *scrubber) choose(c []int32) int32 {
	for _, p := range s.context() {
		if has(c, p) {
			return p
		}
	}
	return c[0]
}

// context returns the row's people, most closely related first: the row itself
// when it is a person, and its family; then for each person it refers to, in column
// order, that person's family and then the person. A message is more often about
// the children than about their parents: "Krankmeldung Lina" from a mother called
// Lina is about her daughter Lina.
func (s *scrubber) context() []int32 {
	if s.ctxOK {
		return s.ctx
	}
	s.ctxOK = true
	s.ctx = s.ctx[:0]
	if info := s.a.tables[s.row.Table]; info != nil && info.people >= 0 {
		if id, err := strconv.ParseInt(string(s.row.ID), 10, 64); err == nil {
			if p := s.pp.lookup(info.people, id); p >= 0 {
				s.ctx = append(append(s.ctx, p), s.pp.family(p)...)
			}
		}
	}
	for _, r := range s.row.Refs {
		if r.ID == 0 {
			continue
		}
		if p := s.pp.lookup(r.People, r.ID); p >= 0 {
			s.ctx = append(append(s.ctx, s.pp.family(p)...), p)
		}
	}
	return s.ctx
}

// fakeNames are the fake first and last name person p got in its own table.
func (s *scrubber) fakeNames(p int32) (string, string) {
	h := s.a.nameHash(Row{Table: s.pp.tables[s.pp.tableOf[p]], ID: s.pp.idText(p)})
	return fakeFirst(h), fakeLast(h)
}
