package anonymizer

import (
	"strconv"
	"time"
)

// dateField is where a day, month or year of a date is written in a text.
type dateField struct {
	start, end int
	name       bool // a month written as a word
}

// dateMatch is a date found in a text: "01.09.2019", "1.9.19", "2019-09-01",
// "01/09/2019", "20190901", "1. September 2019".
type dateMatch struct {
	start, end int
	next       int // the token after it
	day        time.Time
	d, m, y    dateField
	compact    bool // YYYYMMDD in one number
	// twoDigitYear: the year is written with two digits, and day holds the later
	// of its two readings (20yy, else 19yy); alt the other.
	twoDigitYear bool
	alt          time.Time
}

// dateAt finds a date that starts with number token ti.
func (m *matcher) dateAt(ti int) (dateMatch, bool) {
	t := m.toks[ti]
	if !t.number || (t.start > 0 && isAlnum(m.src[t.start-1]) && !isDigitByte(m.src[t.start-1])) {
		return dateMatch{}, false
	}
	if dm, ok := m.compactDateAt(ti); ok {
		return dm, true
	}
	if dm, ok := m.numericDateAt(ti); ok {
		return dm, true
	}
	return m.namedDateAt(ti)
}

func isDigitByte(c byte) bool { return c >= '0' && c <= '9' }

// compactDateAt reads YYYYMMDD.
func (m *matcher) compactDateAt(ti int) (dateMatch, bool) {
	t := m.toks[ti]
	if t.end-t.start != 8 {
		return dateMatch{}, false
	}
	s := m.src[t.start:t.end]
	d, ok := makeDate(atoi(s[:4]), atoi(s[4:6]), atoi(s[6:8]))
	if !ok {
		return dateMatch{}, false
	}
	return dateMatch{start: t.start, end: t.end, next: ti + 1, day: d, compact: true,
		y: dateField{t.start, t.start + 4, false}, m: dateField{t.start + 4, t.start + 6, false}, d: dateField{t.start + 6, t.end, false}}, true
}

// numericDateAt reads three numbers joined by the same separator: ". / -",
// day first, or the year first when it has four digits.
func (m *matcher) numericDateAt(ti int) (dateMatch, bool) {
	if ti+2 >= len(m.toks) || !m.toks[ti+1].number || !m.toks[ti+2].number {
		return dateMatch{}, false
	}
	a, b, c := m.toks[ti], m.toks[ti+1], m.toks[ti+2]
	sep1, ok1 := m.dateSep(a.end, b.start)
	sep2, ok2 := m.dateSep(b.end, c.start)
	if !ok1 || !ok2 || sep1 != sep2 {
		return dateMatch{}, false
	}
	la, lb, lc := a.end-a.start, b.end-b.start, c.end-c.start
	field := func(t token) dateField { return dateField{t.start, t.end, false} }
	dm := dateMatch{start: a.start, end: c.end, next: ti + 3}
	switch {
	case la == 4 && lb <= 2 && lc <= 2:
		dm.y, dm.m, dm.d = field(a), field(b), field(c)
	case la <= 2 && lb <= 2 && (lc == 4 || lc == 2):
		dm.d, dm.m, dm.y = field(a), field(b), field(c)
	default:
		return dateMatch{}, false
	}
	return m.finishDate(dm, atoi(m.src[dm.m.start:dm.m.end]))
}

// dateSep reports the separator between two numbers of a date: one of ". / -",
// a dot perhaps followed by a space.
func (m *matcher) dateSep(from, to int) (byte, bool) {
	switch gap := m.src[from:to]; {
	case len(gap) == 1 && (gap[0] == '.' || gap[0] == '/' || gap[0] == '-'):
		return gap[0], true
	case len(gap) == 2 && gap[0] == '.' && gap[1] == ' ':
		return '.', true
	}
	return 0, false
}

// namedDateAt reads "1. September 2019", "01. Sept. 2019", "1 Sep 2019".
func (m *matcher) namedDateAt(ti int) (dateMatch, bool) {
	if ti+2 >= len(m.toks) || m.toks[ti+1].number || !m.toks[ti+2].number {
		return dateMatch{}, false
	}
	a, b, c := m.toks[ti], m.toks[ti+1], m.toks[ti+2]
	if a.end-a.start > 2 || c.end-c.start != 4 || !only(m.src, a.end, b.start, ". ") || !only(m.src, b.end, c.start, ". ") ||
		b.start == a.end || c.start == b.end {
		return dateMatch{}, false
	}
	month := monthNamed(m.src[b.start:b.end])
	if month == 0 {
		return dateMatch{}, false
	}
	dm := dateMatch{start: a.start, end: c.end, next: ti + 3, d: dateField{a.start, a.end, false},
		m: dateField{b.start, b.end, true}, y: dateField{c.start, c.end, false}}
	return m.finishDate(dm, month)
}

// finishDate checks the fields of a date found and reads its day.
func (m *matcher) finishDate(dm dateMatch, month int) (dateMatch, bool) {
	day, year := atoi(m.src[dm.d.start:dm.d.end]), atoi(m.src[dm.y.start:dm.y.end])
	if dm.y.end-dm.y.start == 2 {
		dm.twoDigitYear = true
		later, ok1 := makeDate(2000+year, month, day)
		earlier, ok2 := makeDate(1900+year, month, day)
		if !ok1 || !ok2 {
			return dateMatch{}, false
		}
		dm.day, dm.alt = later, earlier
		return dm, true
	}
	d, ok := makeDate(year, month, day)
	dm.day = d
	return dm, ok
}

// makeDate is the date of year, month and day, false when there is no such day
// or the year is not one people are born or write about.
func makeDate(year, month, day int) (time.Time, bool) {
	if year < 1900 || year > 2199 || month < 1 || month > 12 || day < 1 {
		return time.Time{}, false
	}
	d := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	return d, d.Day() == day
}

func atoi(s []byte) int {
	n, err := strconv.Atoi(string(s))
	if err != nil {
		return -1
	}
	return n
}

// monthNames are the German and English month names and their abbreviations, in
// the canonical spelling (canon), month by month.
var monthNames = [12][]string{
	{"januar", "january", "jan", "janner"}, {"februar", "february", "feb"}, {"marz", "march", "mar"},
	{"april", "apr"}, {"mai", "may"}, {"juni", "june", "jun"}, {"juli", "july", "jul"}, {"august", "aug"},
	{"september", "sep", "sept"}, {"oktober", "october", "okt", "oct"}, {"november", "nov"}, {"dezember", "december", "dez", "dec"},
}

// monthNamed is the month a word names, 0 for none.
func monthNamed(w []byte) int {
	k := string(canon(nil, w))
	for i, names := range monthNames {
		for _, n := range names {
			if k == n {
				return i + 1
			}
		}
	}
	return 0
}

// germanMonths spell a month replaced in a date that names its month.
var germanMonths = [12]string{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
	"Oktober", "November", "Dezember"}

// rewrite writes the date dm found in src with day instead, in the same spelling:
// the same separators, widths and order, a month name for a month name.
func (dm dateMatch) rewrite(dst, src []byte, day time.Time) []byte {
	at := dm.start
	fields := []struct {
		f     dateField
		value int
	}{{dm.d, day.Day()}, {dm.m, int(day.Month())}, {dm.y, day.Year()}}
	// Write the fields in the order they stand in the text.
	for done := 0; done < 3; done++ {
		next := -1
		for i, f := range fields {
			if f.f.start >= at && (next < 0 || f.f.start < fields[next].f.start) {
				next = i
			}
		}
		f := fields[next]
		dst = append(dst, src[at:f.f.start]...)
		orig := src[f.f.start:f.f.end]
		switch {
		case f.f.name:
			name := germanMonths[f.value-1]
			if len(canon(nil, orig)) <= 4 {
				name = name[:3]
			}
			dst = matchCase(dst, orig, name, isASCII(orig))
		case f.f.end-f.f.start == 2 && f.f == dm.y:
			dst = appendPadded(dst, f.value%100, 2)
		default:
			dst = appendPadded(dst, f.value, f.f.end-f.f.start)
		}
		at = f.f.end
	}
	return append(dst, src[at:dm.end]...)
}

// appendPadded writes n with at least width digits (a one-digit day stays one
// digit when it can).
func appendPadded(dst []byte, n, width int) []byte {
	s := strconv.Itoa(n)
	for i := len(s); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}
