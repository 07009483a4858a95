package anonymizer

import (
	"bytes"
	"cmp"
	"slices"

	"github.com/wippidu/wippidu"
)

// What the leak check looks for: production values taken from the dump's
// personal columns, and in kept free text every token the allow-list would not
// have let through and the anonymizer did not write.
const (
	LeakEmail        wippidu.LeakKind = "email"
	LeakPhone        wippidu.LeakKind = "phone"
	LeakFullName     wippidu.LeakKind = "full_name"
	LeakName         wippidu.LeakKind = "name"
	LeakStreet       wippidu.LeakKind = "street"
	LeakPasswordHash wippidu.LeakKind = "password_hash"
	LeakBody         wippidu.LeakKind = "body"
	LeakBirthDate    wippidu.LeakKind = "birth_date"
	LeakIBAN         wippidu.LeakKind = "iban"
	LeakRareWord     wippidu.LeakKind = "rare_word"
	LeakRareNumber   wippidu.LeakKind = "rare_number"
	LeakShape        wippidu.LeakKind = "shape" // a structured value without its reason's shape
)

var leakKinds = [...]wippidu.LeakKind{LeakEmail, LeakPhone, LeakFullName, LeakName, LeakStreet, LeakPasswordHash, LeakBody,
	LeakBirthDate, LeakIBAN, LeakRareWord, LeakRareNumber, LeakShape}

// What the anonymizer replaces in kept columns, as the result counts it.
const (
	ReplacedName         wippidu.ReplacedKind = "name"
	ReplacedEmail        wippidu.ReplacedKind = "email"
	ReplacedPhone        wippidu.ReplacedKind = "phone"
	ReplacedStreet       wippidu.ReplacedKind = "street"
	ReplacedPasswordHash wippidu.ReplacedKind = "password_hash"
	ReplacedIBAN         wippidu.ReplacedKind = "iban"
	ReplacedDate         wippidu.ReplacedKind = "birth_date"
	ReplacedDigits       wippidu.ReplacedKind = "digits"
	ReplacedWord         wippidu.ReplacedKind = "rare_word"
	ReplacedShape        wippidu.ReplacedKind = "shape"
)

var replacedKinds = [...]wippidu.ReplacedKind{ReplacedName, ReplacedEmail, ReplacedPhone, ReplacedStreet, ReplacedPasswordHash,
	ReplacedIBAN, ReplacedDate, ReplacedDigits, ReplacedWord, ReplacedShape}

// bodyPrefixBytes is how much of a body the check compares: a value that starts
// with the same 32 bytes as a production body, a copy or a preview of it, counts.
const bodyPrefixBytes = 32

// bcryptLen is the length of a bcrypt hash ("$2a$10$" and 53 more).
const bcryptLen = 60

// leakCheck rides on the stream: every value an import writes from production
// text passes through it on its way into COPY, so staging is never read again.
type leakCheck struct {
	cols   []colLeaks
	byName map[string]int
	bodies []uint64    // hashes of production bodies' first bytes
	outs   []outPrefix // the same of the values written
	m      matcher
	key    []byte
}

type colLeaks struct {
	name     string
	values   int64
	found    [len(leakKinds)]int64
	replaced [len(replacedKinds)]int64
}

type outPrefix struct {
	h   uint64
	col int32
}

func newLeakCheck() *leakCheck { return &leakCheck{byName: map[string]int{}} }

// column returns the index of a checked column, adding it.
func (l *leakCheck) column(name string) int {
	if i, ok := l.byName[name]; ok {
		return i
	}
	l.byName[name] = len(l.cols)
	l.cols = append(l.cols, colLeaks{name: name})
	return len(l.cols) - 1
}

// body notes the first bytes of a production body.
func (l *leakCheck) body(pp *People, prefix []byte) {
	if len(prefix) >= bodyPrefixBytes {
		l.bodies = append(l.bodies, pp.hash(prefix[:bodyPrefixBytes]))
	}
}

// replaced counts a replacement the anonymizer made in column col.
func (l *leakCheck) replaced(col int, kind wippidu.ReplacedKind) {
	if col >= 0 {
		l.cols[col].replaced[slices.Index(replacedKinds[:], kind)]++
	}
}

// found counts a finding in column col.
func (c *colLeaks) add(kind wippidu.LeakKind) { c.found[slices.Index(leakKinds[:], kind)]++ }

// checkMode is how much of a value the check verifies.
type checkMode uint8

const (
	// checkPersonal looks for the dump's people only: values loaded as they are
	// after an opt-out, where every other token is production's by choice.
	checkPersonal checkMode = iota
	// checkFree also verifies every token of kept free text: common in the dump
	// (the allow-list), an ordinary date, a short number, or written by the
	// anonymizer (inside spans).
	checkFree
)

// leakFinds is what the check asks the matcher for.
const leakFinds = findEmail | findPhone | findStreet | findFullName

// check looks for production values in s, one text written to column col, outside
// the spans the anonymizer wrote itself (a fake name spelled like a production one
// is none). It walks s with a matcher of its own, and adds what the replacement
// never looks for: password hashes and copies of bodies.
func (l *leakCheck) check(a *Anonymizer, col int, s []byte, spans []span, mode checkMode) {
	c := &l.cols[col]
	c.values++
	w := leakWalk{l: l, a: a, c: c, s: s, spans: spans, mode: mode}
	l.m.reset(a.people, s)
	for ti := 0; ti < len(l.m.toks); {
		ti = w.at(ti)
	}
	a.people.hashesIn(s, func(start, end int) {
		if w.free(start, end) {
			c.add(LeakPasswordHash)
		}
	})
	if len(s) >= bodyPrefixBytes && w.free(0, bodyPrefixBytes) {
		l.outs = append(l.outs, outPrefix{a.people.hash(s[:bodyPrefixBytes]), int32(col)})
	}
}

// leakWalk is the check of one value.
type leakWalk struct {
	l     *leakCheck
	a     *Anonymizer
	c     *colLeaks
	s     []byte
	spans []span
	mode  checkMode
}

// free reports whether s[from:to] lies outside what the anonymizer wrote.
func (w *leakWalk) free(from, to int) bool {
	for _, sp := range w.spans {
		if from < sp.end && sp.start < to {
			return false
		}
	}
	return true
}

// at checks what starts at token ti and returns the token after it.
func (w *leakWalk) at(ti int) int {
	m := &w.l.m
	want := leakFinds
	if w.mode == checkFree {
		want |= findName
	}
	mt, ok := m.at(ti, want)
	switch {
	case mt.kind == findEmail:
		if !bytes.HasSuffix(mt.lowerEmail, []byte(stagingDomain)) && w.free(mt.start, mt.end) {
			w.c.add(LeakEmail)
		}
		return max(mt.next, ti+1)
	case ok:
		if w.free(mt.start, mt.end) {
			w.c.add(leakKind(mt.kind))
		}
		return max(mt.next, ti+1)
	case w.mode == checkFree:
		return w.token(ti)
	}
	return ti + 1
}

// token verifies one token of kept free text that is no production value of
// the dictionary's, and returns the token after what it looked at.
func (w *leakWalk) token(ti int) int {
	m := &w.l.m
	t := m.toks[ti]
	if !t.number {
		if end := m.ibanAt(ti); end > 0 {
			if w.free(t.start, end) {
				w.c.add(LeakIBAN)
			}
			return m.skipTo(ti, end)
		}
		if w.free(t.start, t.end) && !w.a.wordAllowed(&w.l.key, w.s[t.start:t.end]) {
			w.c.add(LeakRareWord)
		}
		return ti + 1
	}
	if dm, ok := m.dateAt(ti); ok {
		if w.free(dm.start, dm.end) && len(w.a.people.bornOn(dm)) > 0 {
			w.c.add(LeakBirthDate)
		}
		return dm.next
	}
	if end := m.phoneShapeAt(t); end > 0 {
		if w.free(phoneStart(w.s, t), end) {
			w.c.add(LeakPhone)
		}
		return m.skipTo(ti, end)
	}
	if w.free(t.start, t.end) && !w.a.numberAllowed(m, w.s[t.start:t.end]) {
		if m.isProductionPhone(w.s[t.start:t.end]) {
			w.c.add(LeakPhone)
		} else {
			w.c.add(LeakRareNumber)
		}
	}
	return ti + 1
}

// checkStructured checks a value of a kept structured column (a code, a locale,
// a MIME type): it must have its reason's shape and name none of the dump's
// people.
func (l *leakCheck) checkStructured(a *Anonymizer, col int, value []byte, reason string) {
	if col < 0 {
		return
	}
	if len(value) > 0 && !shapeFor(reason).Match(value) {
		l.cols[col].add(LeakShape)
	}
	l.check(a, col, value, nil, checkPersonal)
	if reason == "enum" {
		return
	}
	m := &l.m
	m.reset(a.people, value)
	for ti, t := range m.toks {
		if t.number || t.end-t.start < 3 {
			continue
		}
		if _, ok := m.nameAt(ti); ok {
			l.cols[col].add(LeakName)
		}
	}
}

// leakKind is the kind of finding a match is.
func leakKind(find int) wippidu.LeakKind {
	switch find {
	case findPhone:
		return LeakPhone
	case findStreet:
		return LeakStreet
	case findName:
		return LeakName
	case findHash:
		return LeakPasswordHash
	}
	return LeakFullName
}

// report finishes the check: bodies are matched now that all of them are known.
func (l *leakCheck) report() *wippidu.LeakCheck {
	slices.Sort(l.bodies)
	for _, o := range l.outs {
		if _, ok := slices.BinarySearch(l.bodies, o.h); ok {
			l.cols[o.col].add(LeakBody)
		}
	}
	l.outs, l.bodies = nil, nil
	r := &wippidu.LeakCheck{Columns: len(l.cols), Findings: []wippidu.LeakFinding{}, Replaced: []wippidu.Replacement{}}
	for _, c := range l.cols {
		r.Values += c.values
		for k, n := range c.found {
			if n > 0 {
				r.Found += n
				r.Findings = append(r.Findings, wippidu.LeakFinding{Column: c.name, Kind: leakKinds[k], Count: n})
			}
		}
		for k, n := range c.replaced {
			if n > 0 {
				r.Replaced = append(r.Replaced, wippidu.Replacement{Column: c.name, Kind: replacedKinds[k], Count: n})
			}
		}
	}
	slices.SortStableFunc(r.Replaced, func(a, b wippidu.Replacement) int { return cmp.Compare(a.Column, b.Column) })
	return r
}

// LeakCheck returns what the leak check found in everything written so far. Call
// it once, after the last row.
func (a *Anonymizer) LeakCheck() *wippidu.LeakCheck { return a.leaks.report() }
