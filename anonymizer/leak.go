package anonymizer

import (
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
	m      matcher
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
// the spans the anonymizer wrote itself (a fake name spelled like a production one
// is none). It walks s with the matcher the replacement uses, unless walked says the
// replacement's own walk over these very bytes found nothing; and it adds what the
// replacement never touches: password hashes and copies of bodies.
func (l *leakCheck) check(pp *People, col int, s []byte, spans []span, walked bool) {
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
	m := &l.m
	if walked {
		m.toks = m.toks[:0]
	} else {
		m.reset(pp, s)
	}
	for ti := 0; ti < len(m.toks); {
		mt, ok := m.at(ti, leakFinds)
		switch {
		case !ok:
		case mt.kind == findEmail:
			if len(pp.emails.find(pp.hash(mt.lowerEmail))) > 0 && free(mt.start, mt.end) {
				c.found[kindEmail]++
			}
		case free(mt.start, mt.end):
			c.found[leakKind(mt.kind)]++
		}
		if mt.next > ti {
			ti = mt.next
		} else {
			ti++
		}
	}
	pp.hashesIn(s, func(start, end int) {
		if free(start, end) {
			c.found[kindPasswordHash]++
		}
	})
	if len(s) >= bodyPrefixBytes && free(0, bodyPrefixBytes) {
		l.outs = append(l.outs, outPrefix{pp.hash(s[:bodyPrefixBytes]), int32(col)})
	}
}

// leakFinds is what the check asks the matcher for.
const leakFinds = findEmail | findPhone | findStreet | findFullName

// leakKind is the kind of finding a match is.
func leakKind(find int) int {
	switch find {
	case findPhone:
		return kindPhone
	case findStreet:
		return kindStreet
	}
	return kindFullName
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
