package anonymizer

import (
	"bytes"
	"encoding/hex"
	"strconv"
)

// span is a part of an output the anonymizer wrote itself (a fake name, a staging
// email): the leak check never counts what is there, even when a fake name happens
// to be spelled like a production one.
type span struct{ start, end int }

// scrubber replaces the dump's own people in the text of one row's kept columns.
type scrubber struct {
	a        *Anonymizer
	pp       *People
	row      *Row
	rowSeq   int64 // the row the context below is for
	rowTable string
	full  bool // every name, not only the ones that cannot be an ordinary word
	toks  []token
	ctx   []int32 // the row's people, in the order they are preferred
	ctxOK bool
	key   []byte
	spans []span
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

// text appends src to dst with the dump's people replaced, and records the spans it
// wrote itself (relative to base, where the value's output starts in dst).
func (s *scrubber) text(dst, src []byte, base int) []byte {
	names, emails, contacts := !s.a.off[Names], !s.a.off[Emails], !s.a.off[Contacts]
	found := findEmails(src)
	toks := tokenize(s.toks[:0], src)
	s.toks = toks
	copied := 0
	replace := func(from, to int, repl []byte) {
		dst = append(dst, src[copied:from]...)
		start := len(dst) - base
		dst = append(dst, repl...)
		s.spans = append(s.spans, span{start, len(dst) - base})
		copied = to
	}
	skipTo := func(ti, end int) int {
		for ti < len(toks) && toks[ti].start < end {
			ti++
		}
		return ti
	}
	for ti, ei := 0, 0; ti < len(toks); {
		t := toks[ti]
		for ei < len(found) && found[ei].end <= t.start {
			ei++
		}
		if ei < len(found) && found[ei].start <= t.start {
			e := found[ei]
			if emails && !bytes.HasSuffix(e.lower, []byte(stagingDomain)) {
				replace(e.start, e.end, s.emailFor(e.lower))
			}
			ti = skipTo(ti, e.end)
			continue
		}
		if contacts {
			if end := s.phoneAt(src, t); end > 0 {
				replace(phoneStart(src, t), end, nil)
				ti = skipTo(ti, end)
				continue
			}
			if end := s.streetAt(src, toks, ti); end > 0 {
				replace(t.start, end, nil)
				ti = skipTo(ti, end)
				continue
			}
		}
		if names && !t.number {
			if repl, n := s.fullNameAt(src, toks, ti); n > 0 {
				replace(t.start, toks[ti+n-1].end, repl)
				ti += n
				continue
			}
			if s.full {
				if repl := s.nameAt(src[t.start:t.end]); repl != nil {
					replace(t.start, t.end, repl)
				}
			}
		}
		ti++
	}
	return append(dst, src[copied:]...)
}

// emailFor is the staging address for a production one: the person's own when it is
// one of the dump's people, else a keyed stand-in.
func (s *scrubber) emailFor(lower []byte) []byte {
	if c := s.pp.emails.find(s.pp.hash(lower)); len(c) > 0 {
		return append(append([]byte("user-"), s.pp.idText(c[0].p)...), stagingDomain...)
	}
	h := s.a.nameHash(Row{Table: "email", ID: lower})
	return append(append([]byte("redacted-"), hex.EncodeToString(h[:4])...), stagingDomain...)
}

// phoneStart is where a phone number that t begins starts: at a '+' before it.
func phoneStart(src []byte, t token) int {
	if t.start > 0 && src[t.start-1] == '+' {
		return t.start - 1
	}
	return t.start
}

// phoneAt returns the end of the longest production phone number that starts with
// the number t (or a '+' just before it), or 0.
func (s *scrubber) phoneAt(src []byte, t token) int {
	if !t.number || len(s.pp.phones) == 0 {
		return 0
	}
	start := phoneStart(src, t)
	if start > 0 && isAlnum(src[start-1]) {
		return 0 // part of a word or a longer number
	}
	best := 0
	for _, end := range phoneEnds(src, start) {
		if d := normalizePhone(src[start:end]); len(d) >= minPhoneDigits && s.pp.phones.has(s.pp.hash(d)) {
			best = end
		}
	}
	return best
}

// phoneEnds lists where a phone number starting at start may end: after each run
// of digits, as long as the runs are joined by the separators people type.
func phoneEnds(src []byte, start int) []int {
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
		for k < len(src) && k-j < 3 && bytes.IndexByte([]byte(" /-()."), src[k]) >= 0 {
			k++
		}
		if k == j {
			break
		}
		i = k
	}
	return ends
}

// streetAt returns the end of a production street that starts with word toks[ti],
// or 0.
func (s *scrubber) streetAt(src []byte, toks []token, ti int) int {
	if toks[ti].number || s.pp.streetLens == 0 {
		return 0
	}
	for n := 31; n >= 1; n-- {
		if s.pp.streetLens&(1<<n) == 0 || ti+n > len(toks) {
			continue
		}
		if !joinedBy(src, toks[ti:ti+n], " .-\t") {
			continue
		}
		s.key = streetWords(s.key[:0], src, toks[ti:ti+n])
		if s.pp.streets.has(s.pp.hash(s.key)) {
			end := toks[ti+n-1].end
			if last := toks[ti+n-1]; last.number && ti+n < len(toks) && toks[ti+n].start == end && toks[ti+n].end-end <= 2 {
				end = toks[ti+n].end // the house number's letter: "12b"
			}
			return end
		}
	}
	return 0
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

// fullNameAt replaces a production full name that starts at toks[ti]: "Anna
// Müller", or "Müller, Anna" and "Müller Anna". It returns the replacement (fake
// names and the original separator) and how many tokens it covers.
func (s *scrubber) fullNameAt(src []byte, toks []token, ti int) ([]byte, int) {
	if ti+1 >= len(toks) || toks[ti+1].number || !joinedBy(src, toks[ti:ti+2], " \t,") {
		return nil, 0
	}
	a, b := toks[ti], toks[ti+1]
	wa := canon(s.key[:0], src[a.start:a.end])
	wb := canon(wa[len(wa):], src[b.start:b.end])
	s.key = wb[:0]
	sep := src[a.end:b.start]
	reversed := bytes.Contains(sep, []byte(","))
	if !reversed {
		if c := s.pp.full.find(s.pp.pairHash(wa, wb)); len(c) > 0 {
			p := s.choose(c)
			first, last := s.fakeNames(p)
			out := matchCase(nil, src[a.start:a.end], first)
			out = append(out, sep...)
			return matchCase(out, src[b.start:b.end], last), 2
		}
	}
	if c := s.pp.full.find(s.pp.pairHash(wb, wa)); len(c) > 0 {
		p := s.choose(c)
		first, last := s.fakeNames(p)
		out := matchCase(nil, src[a.start:a.end], last)
		out = append(out, sep...)
		return matchCase(out, src[b.start:b.end], first), 2
	}
	return nil, 0
}

// nameAt returns the replacement of a word that is some production person's first
// or last name, or nil: the fake name of the row's own people where one of them
// bears it, else of the first person in the dump who does.
func (s *scrubber) nameAt(word []byte) []byte {
	if len(word) < 2 {
		return nil
	}
	s.key = canon(s.key[:0], word)
	h := s.pp.hash(s.key)
	firsts, lasts := s.pp.first.find(h), s.pp.last.find(h)
	if len(firsts) == 0 && len(lasts) == 0 {
		return nil
	}
	for _, p := range s.context() {
		if has(firsts, p) {
			first, _ := s.fakeNames(p)
			return matchCase(nil, word, first)
		}
		if has(lasts, p) {
			_, last := s.fakeNames(p)
			return matchCase(nil, word, last)
		}
	}
	if len(firsts) > 0 {
		first, _ := s.fakeNames(firsts[0].p)
		return matchCase(nil, word, first)
	}
	_, last := s.fakeNames(lasts[0].p)
	return matchCase(nil, word, last)
}

// has reports whether person p is among the entries of one hash.
func has(es []entry, p int32) bool {
	lo, hi := 0, len(es)
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case es[m].p == p:
			return true
		case es[m].p < p:
			lo = m + 1
		default:
			hi = m
		}
	}
	return false
}

// choose picks among the people who bear a name: the row's own, else the first.
func (s *scrubber) choose(c []entry) int32 {
	for _, p := range s.context() {
		if has(c, p) {
			return p
		}
	}
	return c[0].p
}

// context returns the row's people, most closely related first: the row itself
// when it is a person and its family, then each person it refers to, each followed
// by their family ("Krankmeldung Lotte" from a parent is about the parent's Lotte).
func (s *scrubber) context() []int32 {
	if s.ctxOK {
		return s.ctx
	}
	s.ctxOK = true
	s.ctx = s.ctx[:0]
	add := func(p int32) {
		if p < 0 {
			return
		}
		s.ctx = append(s.ctx, p)
		s.ctx = append(s.ctx, s.pp.family(p)...)
	}
	if info := s.a.tables[s.row.Table]; info != nil && info.people >= 0 {
		if id, err := strconv.ParseInt(string(s.row.ID), 10, 64); err == nil {
			add(s.pp.lookup(info.people, id))
		}
	}
	for _, r := range s.row.Refs {
		if r.ID != 0 {
			add(s.pp.lookup(r.People, r.ID))
		}
	}
	return s.ctx
}

// fakeNames are the fake first and last name person p got in its own table.
func (s *scrubber) fakeNames(p int32) (string, string) {
	h := s.a.nameHash(Row{Table: s.pp.tables[s.pp.persons[p].table], ID: s.pp.idText(p)})
	return fakeFirst(h), fakeLast(h)
}
