package anonymizer

import (
	"bytes"
	"unicode"
	"unicode/utf8"

	"github.com/wippidu/wippidu"
)

// Kept free text (subjects, titles, tags, file names, rooms, JSON strings and
// keys) is rebuilt by allow-list: a token reaches staging only when it cannot
// single anyone out. In one walk over a text's tokens:
//
//  1. the dump's own people are found by the dictionary (emails, full names,
//     names, phone numbers, streets, password hashes) and get their fakes;
//  2. identifiers are found by their shape whoever's they are: an IBAN gets a
//     valid fake IBAN, a phone number fake digits, a production birth date in any
//     spelling the person's fake birth date (an ordinary date stays);
//  3. every other word stays only when it is common in the dump (Census), a
//     number only when it is short or common; the rest get a fake of their shape.

// edit is a part of a text the walk replaces, by repl[from:to] or, for a rare
// word, by a fake chosen once its neighbours are known.
type edit struct {
	start, end int
	kind       wippidu.ReplacedKind
	from, to   int  // of scrubber.repl
	word       bool // a rare word
}

// wanted is what the matcher looks for, by the switches that are on.
func (s *scrubber) wanted() int {
	want := 0
	if !s.a.off[Emails] {
		want |= findEmail
	}
	if !s.a.off[Contacts] {
		want |= findPhone | findStreet
	}
	if !s.a.off[Passwords] {
		want |= findHash
	}
	if !s.a.off[Names] {
		want |= findFullName | findName
	}
	return want
}

// text appends src, kept free text, to dst rebuilt by the allow-list, and records
// the spans it wrote itself (relative to base, where the value's output starts in
// dst) and its edits.
func (s *scrubber) text(dst, src []byte, base int) []byte {
	s.want = s.wanted()
	s.m.reset(s.pp, src)
	s.plain = isASCII(src) && !bytes.ContainsAny(src, " \t\r\n")
	s.edits, s.repl = s.edits[:0], s.repl[:0]
	for ti := 0; ti < len(s.m.toks); {
		ti = s.decide(src, ti)
	}
	return s.render(dst, src, base)
}

// replace records an edit of src[start:end] by what write appends.
func (s *scrubber) replace(start, end int, kind wippidu.ReplacedKind, write func([]byte) []byte) {
	if s.a.letThrough[kind] {
		return
	}
	from := len(s.repl)
	s.repl = write(s.repl)
	s.edits = append(s.edits, edit{start: start, end: end, kind: kind, from: from, to: len(s.repl)})
}

// decide looks at what starts at token ti and returns the token after it.
func (s *scrubber) decide(src []byte, ti int) int {
	m := &s.m
	mt, ok := m.at(ti, s.want)
	if ok {
		s.person(src, mt)
		return mt.next
	}
	if mt.next > ti {
		return mt.next // an email address left as it is (emails switched off)
	}
	if next, ok := s.identifier(src, ti); ok {
		return next
	}
	t := m.toks[ti]
	switch {
	case t.number && !s.a.off[Contacts] && !s.a.numberAllowed(m, src[t.start:t.end]):
		s.replace(t.start, t.end, ReplacedDigits, func(b []byte) []byte {
			return fakeDigits(b, src[t.start:t.end], s.a.valueHash("digits", src[t.start:t.end]))
		})
	case !t.number && !s.a.off[Names] && !s.a.wordAllowed(&s.key, src[t.start:t.end]) && !s.a.letThrough[ReplacedWord]:
		s.edits = append(s.edits, edit{start: t.start, end: t.end, kind: ReplacedWord, word: true})
	}
	return ti + 1
}

// person records the replacement of a production value the dictionary found.
func (s *scrubber) person(src []byte, mt match) {
	switch mt.kind {
	case findEmail:
		if !bytes.HasSuffix(mt.lowerEmail, []byte(stagingDomain)) {
			s.replace(mt.start, mt.end, ReplacedEmail, func(b []byte) []byte { return append(b, s.emailFor(mt.lowerEmail)...) })
		}
	case findPhone:
		s.replace(mt.start, mt.end, ReplacedPhone, func(b []byte) []byte { return b })
	case findStreet:
		s.replace(mt.start, mt.end, ReplacedStreet, func(b []byte) []byte { return b })
	case findHash:
		s.replace(mt.start, mt.end, ReplacedPasswordHash, func(b []byte) []byte { return append(b, s.a.passwordHash...) })
	case findFullName:
		first, last := s.fakeNames(s.choose(mt.cands))
		if mt.reversed {
			first, last = last, first
		}
		s.replace(mt.start, mt.end, ReplacedName, func(b []byte) []byte {
			b = s.spell(b, src[mt.start:mt.firstEnd], first)
			b = append(b, src[mt.firstEnd:mt.sepEnd]...)
			return s.spell(b, src[mt.lastStart:mt.end], last)
		})
	case findName:
		s.replace(mt.start, mt.end, ReplacedName, func(b []byte) []byte { return append(b, s.name(src[mt.start:mt.end], mt)...) })
	}
}

// identifier replaces an identifier found by its shape at token ti (an IBAN, a
// phone number, a production birth date) or passes over an ordinary date, and
// returns the token after it; false when there is none at ti.
func (s *scrubber) identifier(src []byte, ti int) (int, bool) {
	if s.a.off[Contacts] {
		return 0, false
	}
	m := &s.m
	t := m.toks[ti]
	if !t.number {
		end := m.ibanAt(ti)
		if end == 0 {
			return 0, false
		}
		s.replace(t.start, end, ReplacedIBAN, func(b []byte) []byte {
			return fakeIBAN(b, src[t.start:end], s.a.valueHash("iban", src[t.start:end]))
		})
		return m.skipTo(ti, end), true
	}
	if dm, ok := m.dateAt(ti); ok {
		if born := s.pp.bornOn(dm); len(born) > 0 {
			p := s.choose(born)
			fake := s.a.fakeBirthDate(s.pp.tables[s.pp.tableOf[p]], s.pp.idText(p), dm.day)
			s.replace(dm.start, dm.end, ReplacedDate, func(b []byte) []byte { return dm.rewrite(b, src, fake) })
		}
		return dm.next, true
	}
	if end := m.phoneShapeAt(t); end > 0 {
		start := phoneStart(src, t)
		s.replace(start, end, ReplacedPhone, func(b []byte) []byte {
			return fakeDigits(b, src[start:end], s.a.valueHash("phone", normalizePhone(src[start:end])))
		})
		return m.skipTo(ti, end), true
	}
	return 0, false
}

// render writes src with its edits, recording their spans.
func (s *scrubber) render(dst, src []byte, base int) []byte {
	copied := 0
	for i, e := range s.edits {
		dst = append(dst, src[copied:e.start]...)
		start := len(dst) - base
		if e.word {
			dst = s.rareWord(dst, src, i)
		} else {
			dst = append(dst, s.repl[e.from:e.to]...)
		}
		s.spans = append(s.spans, span{start, len(dst) - base})
		copied = e.end
	}
	return append(dst, src[copied:]...)
}

// rareWord writes the fake of rare word i. A capitalized word next to a name of
// the dump's people ("Oma Hildegard Krause", where Krause is a production name)
// is taken for a name and gets a fake name; any other rare word a made-up word of
// its length (German nouns are capitalized too: "Straßburgers Lebensgefährtin").
func (s *scrubber) rareWord(dst, src []byte, i int) []byte {
	e := s.edits[i]
	word := src[e.start:e.end]
	h := s.a.valueHash("word", canon(s.key[:0], word))
	if !titleCase(word) {
		return pseudoWord(dst, word, h)
	}
	nameNext := i+1 < len(s.edits) && s.nameLike(s.edits[i+1]) && only(src, e.end, s.edits[i+1].start, " ")
	namePrev := i > 0 && s.nameLike(s.edits[i-1]) && only(src, s.edits[i-1].end, e.start, " ")
	switch {
	case nameNext:
		return s.spell(dst, word, germanFirstNames[int(h[0])%len(germanFirstNames)])
	case namePrev:
		return s.spell(dst, word, germanLastNames[int(h[0])%len(germanLastNames)])
	}
	return pseudoWord(dst, word, h)
}

// nameLike reports whether an edit replaced a name of the dump's people.
func (s *scrubber) nameLike(e edit) bool { return e.start < e.end && e.kind == ReplacedName }

// titleCase reports whether a word is written as a name is: a capital, then
// lower case.
func titleCase(w []byte) bool {
	r, n := utf8.DecodeRune(w)
	if !unicode.IsUpper(r) || n == len(w) {
		return false
	}
	for _, r := range string(w[n:]) {
		if !unicode.IsLower(r) {
			return false
		}
	}
	return true
}
