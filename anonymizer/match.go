package anonymizer

import (
	"bytes"
)

// What the matcher looks for; a bit each.
const (
	findEmail = 1 << iota
	findPhone
	findStreet
	findFullName
	findName // a first or last name on its own
	findHash // a production password hash
)

// match is a production value found in a text.
type match struct {
	kind       int // one of the find bits
	start, end int // where it is in the text
	next       int // the token after it
	// Names: the people who bear it; for a full name, where its first part ends
	// and its last part starts, and whether it is written last name first.
	cands, lasts     []int32 // people with the whole first name (or full name), whole last name
	parts, lastParts []int32 // people with the word in a first or last name of several words
	firstEnd, sepEnd int     // the separator after the first part (particles are left out)
	lastStart        int
	reversed         bool
	lowerEmail       []byte
}

// matcher finds the dump's people in one text: the free-text replacement and the
// leak check walk a text with the same matcher, one to replace what it finds, the
// other to count it.
type matcher struct {
	pp     *People
	src    []byte
	toks   []token
	emails []email
	ei     int
	key    []byte
}

func (m *matcher) reset(pp *People, src []byte) {
	m.pp, m.src, m.ei = pp, src, 0
	m.emails = findEmails(src)
	m.toks = tokenize(m.toks[:0], src)
}

// starts reports whether word ti can start a name, full name or street.
func (m *matcher) starts(ti int) bool {
	t := m.toks[ti]
	m.key = canon(m.key[:0], m.src[t.start:t.end])
	if m.pp.starts.has(m.pp.hash(m.key)) {
		return true
	}
	if w, ok := bytes.CutSuffix(m.key, []byte("strase")); ok {
		return m.pp.starts.has(m.pp.hash(append(w, "str"...)))
	}
	return false
}

// skipTo returns the first token at or after byte end.
func (m *matcher) skipTo(ti, end int) int {
	for ti < len(m.toks) && m.toks[ti].start < end {
		ti++
	}
	return ti
}

// at returns what of want starts at token ti.
func (m *matcher) at(ti int, want int) (match, bool) {
	t := m.toks[ti]
	for m.ei < len(m.emails) && m.emails[m.ei].end <= t.start {
		m.ei++
	}
	if m.ei < len(m.emails) && m.emails[m.ei].start <= t.start {
		// Inside an email address: it is one, whether or not it is looked for.
		e := m.emails[m.ei]
		return match{kind: findEmail, start: e.start, end: e.end, next: m.skipTo(ti, e.end), lowerEmail: e.lower}, want&findEmail != 0
	}
	if want&findHash != 0 && t.start > 1 && m.src[t.start-2] == '$' && m.src[t.start-1] == '2' {
		// Tokens split "$2a$10$…" after "$2": the hash starts two bytes back.
		if end := m.pp.hashAt(m.src, t.start-2); end > 0 {
			return match{kind: findHash, start: t.start - 2, end: end, next: m.skipTo(ti, end)}, true
		}
	}
	if want&findPhone != 0 && t.number {
		if end := m.phoneAt(t); end > 0 {
			return match{kind: findPhone, start: phoneStart(m.src, t), end: end, next: m.skipTo(ti, end)}, true
		}
	}
	if t.number || want&(findStreet|findFullName|findName) == 0 || !m.starts(ti) {
		return match{}, false
	}
	if want&findStreet != 0 {
		if end := m.streetAt(ti); end > 0 {
			return match{kind: findStreet, start: t.start, end: end, next: m.skipTo(ti, end)}, true
		}
	}
	if want&findFullName != 0 {
		if mt, ok := m.fullNameAt(ti); ok {
			return mt, true
		}
	}
	if want&findName != 0 {
		return m.nameAt(ti)
	}
	return match{}, false
}

// phoneAt returns the end of the longest production phone number that starts with
// the number t (or a '+' just before it), or 0.
func (m *matcher) phoneAt(t token) int {
	if len(m.pp.phones) == 0 {
		return 0
	}
	start := phoneStart(m.src, t)
	if start > 0 && isAlnum(m.src[start-1]) {
		return 0 // part of a word or a longer number
	}
	best := 0
	for _, end := range phoneEnds(m.src, start) {
		if m.isProductionPhone(m.src[start:end]) {
			best = end
		}
	}
	return best
}

// streetAt returns the end of a production street that starts with word ti, or 0.
func (m *matcher) streetAt(ti int) int {
	for n := 31; n >= 1; n-- {
		if m.pp.streetLens&(1<<n) == 0 || ti+n > len(m.toks) || !joinedBy(m.src, m.toks[ti:ti+n], " .-\t") {
			continue
		}
		m.key = streetWords(m.key[:0], m.src, m.toks[ti:ti+n])
		if m.pp.streets.has(m.pp.hash(m.key)) {
			end := m.toks[ti+n-1].end
			if last := m.toks[ti+n-1]; last.number && ti+n < len(m.toks) && m.toks[ti+n].start == end && m.toks[ti+n].end-end <= 2 {
				end = m.toks[ti+n].end // the house number's letter: "12b"
			}
			return end
		}
	}
	return 0
}

// words returns the canonical key of k words from token ti, joined in the text by
// spaces or hyphens, and the index of the token after them; false when they are
// not words so joined.
func (m *matcher) words(ti, k int) ([]byte, int, bool) {
	if ti+k > len(m.toks) || !joinedBy(m.src, m.toks[ti:ti+k], " -") {
		return nil, 0, false
	}
	m.key = m.key[:0]
	for j, t := range m.toks[ti : ti+k] {
		if t.number {
			return nil, 0, false
		}
		if j > 0 {
			m.key = append(m.key, ' ')
		}
		m.key = canon(m.key, m.src[t.start:t.end])
	}
	return m.key, ti + k, true
}

// fullNameAt finds a production full name starting at word ti: "Anna-Lena
// Müller", "Anna zu Guttenberg", or last name first, "Müller, Anna".
func (m *matcher) fullNameAt(ti int) (match, bool) {
	for k := m.pp.maxWords; k >= 1; k-- {
		key, j, ok := m.words(ti, k)
		if !ok {
			continue
		}
		first := len(key)
		// Particles between the names are part of the last name: skipped.
		for j < len(m.toks) && !m.toks[j].number && particles[string(canon(m.key[first:first], m.src[m.toks[j].start:m.toks[j].end]))] &&
			joinedBy(m.src, m.toks[j-1:j+1], " \t") {
			j++
		}
		if j >= len(m.toks) || m.toks[j].number || !joinedBy(m.src, m.toks[j-1:j+1], " \t") {
			continue
		}
		last := canon(m.key[first:first], m.src[m.toks[j].start:m.toks[j].end])
		if c := m.pp.full.find(m.pp.pairHash(key[:first], last)); len(c) > 0 {
			return match{kind: findFullName, start: m.toks[ti].start, end: m.toks[j].end, next: j + 1, cands: c,
				firstEnd: m.toks[ti+k-1].end, sepEnd: m.toks[ti+k].start, lastStart: m.toks[j].start}, true
		}
	}
	if ti+1 < len(m.toks) && !m.toks[ti+1].number && joinedBy(m.src, m.toks[ti:ti+2], " \t,") {
		a, b := m.toks[ti], m.toks[ti+1]
		last := canon(m.key[:0], m.src[a.start:a.end])
		first := canon(last[len(last):], m.src[b.start:b.end])
		if c := m.pp.full.find(m.pp.pairHash(first, last)); len(c) > 0 {
			return match{kind: findFullName, start: a.start, end: b.end, next: ti + 2, cands: c,
				firstEnd: a.end, sepEnd: b.start, lastStart: b.start, reversed: true}, true
		}
	}
	return match{}, false
}

// nameAt finds a production first or last name starting at word ti, the longest
// first ("Jan-Ole" before "Jan").
func (m *matcher) nameAt(ti int) (match, bool) {
	for k := m.pp.maxWords; k >= 1; k-- {
		key, j, ok := m.words(ti, k)
		if !ok || (k == 1 && len(key) < 2) {
			continue
		}
		h := m.pp.hash(key)
		firsts, lasts := m.pp.first.find(h), m.pp.last.find(h)
		parts, lastParts := m.pp.firstPart.find(h), m.pp.lastPart.find(h)
		if len(firsts)+len(lasts)+len(parts)+len(lastParts) > 0 {
			return match{kind: findName, start: m.toks[ti].start, end: m.toks[j-1].end, next: j, cands: firsts, lasts: lasts,
				parts: parts, lastParts: lastParts}, true
		}
	}
	return match{}, false
}

// hashAt returns the end of a production password hash that starts at i (with
// "$2"), or 0: a run of the bcrypt alphabet, or its first 60 bytes.
func (pp *People) hashAt(s []byte, i int) int {
	if len(pp.hashes) == 0 {
		return 0
	}
	end := i + 2
	for end < len(s) && (isAlnum(s[end]) || s[end] == '.' || s[end] == '/' || s[end] == '$') {
		end++
	}
	switch {
	case pp.hashes.has(pp.hash(s[i:end])):
		return end
	case end-i > bcryptLen && pp.hashes.has(pp.hash(s[i:i+bcryptLen])):
		return i + bcryptLen
	}
	return 0
}

// hashesIn finds every production password hash in s.
func (pp *People) hashesIn(s []byte, found func(start, end int)) {
	for from := 0; len(pp.hashes) > 0; {
		i := bytes.Index(s[from:], []byte("$2"))
		if i < 0 {
			return
		}
		i += from
		if end := pp.hashAt(s, i); end > 0 {
			found(i, end)
		}
		from = i + 2
	}
}
