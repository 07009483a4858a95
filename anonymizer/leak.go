package anonymizer

import (
	"bytes"
	"slices"

	"github.com/wippidu/wippidu"
)

// What the leak check looks for: production values taken from the dump's
// personal columns.
const (
	LeakEmail        = "email"
	LeakPhone        = "phone"
	LeakFullName     = "full_name"
	LeakStreet       = "street"
	LeakPasswordHash = "password_hash"
	LeakBody         = "body"
)

var leakKinds = [...]string{LeakEmail, LeakPhone, LeakFullName, LeakStreet, LeakPasswordHash, LeakBody}

const (
	kindEmail = iota
	kindPhone
	kindFullName
	kindStreet
	kindPasswordHash
	kindBody
)

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
}

type colLeaks struct {
	name   string
	values int64
	found  [len(leakKinds)]int64
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

// check looks for production values in s, one text written to column col, outside
// the spans the anonymizer wrote itself. It is deliberately wider than the
// replacement: both orders of a name, every phone number ending, every bcrypt-
// shaped run.
func (l *leakCheck) check(pp *People, col int, s []byte, spans []span, toks []token) []token {
	c := &l.cols[col]
	c.values++
	free := func(from, to int) bool {
		for _, sp := range spans {
			if from < sp.end && sp.start < to {
				return false
			}
		}
		return true
	}
	for _, e := range findEmails(s) {
		if free(e.start, e.end) && len(pp.emails.find(pp.hash(e.lower))) > 0 {
			c.found[kindEmail]++
		}
	}
	toks = tokenize(toks[:0], s)
	var key []byte
	for ti, t := range toks {
		if t.number {
			start := phoneStart(s, t)
			for _, end := range phoneEnds(s, start) {
				if d := normalizePhone(s[start:end]); len(d) >= minPhoneDigits && pp.phones.has(pp.hash(d)) && free(start, end) {
					c.found[kindPhone]++
					break
				}
			}
			continue
		}
		if ti+1 < len(toks) && !toks[ti+1].number && joinedBy(s, toks[ti:ti+2], " \t,") && free(t.start, toks[ti+1].end) {
			a := canon(nil, s[t.start:t.end])
			b := canon(nil, s[toks[ti+1].start:toks[ti+1].end])
			if len(pp.full.find(pp.pairHash(a, b))) > 0 || len(pp.full.find(pp.pairHash(b, a))) > 0 {
				c.found[kindFullName]++
			}
		}
		for n := 1; n < 32 && ti+n <= len(toks); n++ {
			if pp.streetLens&(1<<n) == 0 || !joinedBy(s, toks[ti:ti+n], " .-\t") {
				continue
			}
			key = streetWords(key[:0], s, toks[ti:ti+n])
			if pp.streets.has(pp.hash(key)) && free(t.start, toks[ti+n-1].end) {
				c.found[kindStreet]++
				break
			}
		}
	}
	for from := 0; len(pp.hashes) > 0; {
		i := bytes.Index(s[from:], []byte("$2"))
		if i < 0 {
			break
		}
		i += from
		if i+bcryptLen <= len(s) && pp.hashes.has(pp.hash(s[i:i+bcryptLen])) && free(i, i+bcryptLen) {
			c.found[kindPasswordHash]++
		}
		from = i + 2
	}
	if len(s) >= bodyPrefixBytes && free(0, bodyPrefixBytes) {
		l.outs = append(l.outs, outPrefix{pp.hash(s[:bodyPrefixBytes]), int32(col)})
	}
	return toks
}

// report finishes the check: bodies are matched now that all of them are known.
func (l *leakCheck) report() *wippidu.LeakCheck {
	slices.Sort(l.bodies)
	for _, o := range l.outs {
		if _, ok := slices.BinarySearch(l.bodies, o.h); ok {
			l.cols[o.col].found[kindBody]++
		}
	}
	l.outs, l.bodies = nil, nil
	r := &wippidu.LeakCheck{Columns: len(l.cols), Findings: []wippidu.LeakFinding{}}
	for _, c := range l.cols {
		r.Values += c.values
		for k, n := range c.found {
			if n > 0 {
				r.Found += n
				r.Findings = append(r.Findings, wippidu.LeakFinding{Column: c.name, Kind: leakKinds[k], Count: n})
			}
		}
	}
	return r
}

// LeakCheck returns what the leak check found in everything written so far. Call
// it once, after the last row.
func (a *Anonymizer) LeakCheck() *wippidu.LeakCheck { return a.leaks.report() }
