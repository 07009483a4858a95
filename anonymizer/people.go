package anonymizer

import (
	"bytes"
	"cmp"
	"hash/maphash"
	"slices"
	"sort"
	"strconv"
	"time"
)

// People is the dictionary of the dump's own people, read from the personal columns
// of the people tables (users, students) before the first free text is written:
// their names, emails, phone numbers, streets, password hashes and birth dates,
// and who is family of whom (guardianships). The free-text replacement looks names up here to
// give each the fake name its own person got; the leak check looks for every value
// here in what reaches staging.
//
// It holds hashes and small integers only: about 70 bytes a person (see
// TestPeopleMemory for the figure at 100,000 users and their students).
type People struct {
	seed    maphash.Seed
	tableOf []uint8   // person → its people table
	idOf    []int64   // person → its id
	tables  []string  // the people tables; tableOf indexes it
	byID    []idIndex // per people table: id → person, to find the people a row refers to

	first, last, full, emails index // a hash of the canonical spelling → persons
	births                    index // dayKey of a birth date → persons
	firstPart, lastPart       index // the words of names of several words
	phones, streets, hashes   hashSet
	streetLens, nameLens      uint32 // bit n: some street, some name, has n words
	maxWords                  int    // the most words of a name, once sealed
	// starts holds every word a name, full name or street can start with: a word
	// of a text that is not here starts nothing, and costs one lookup.
	starts hashSet

	links    [][2]int32 // family pairs (indexes into pending), until sealed
	pending  []person   // the people the links name, until sealed
	famStart []int32    // once sealed: person p's family is famList[famStart[p]:famStart[p+1]]
	famList  []int32
	sealed   bool
}

// person is a person named by a link before the dictionary is sealed.
type person struct {
	table uint8
	id    int64
}

// index maps hashes to persons, in two parallel slices (12 bytes an entry), sorted
// by hash, then person, once sealed.
type index struct {
	hs []uint64
	ps []int32
}

func (x *index) add(h uint64, p int32) {
	x.hs = append(x.hs, h)
	x.ps = append(x.ps, p)
}

func (x *index) Len() int { return len(x.hs) }
func (x *index) Less(i, j int) bool {
	return x.hs[i] < x.hs[j] || x.hs[i] == x.hs[j] && x.ps[i] < x.ps[j]
}
func (x *index) Swap(i, j int) {
	x.hs[i], x.hs[j] = x.hs[j], x.hs[i]
	x.ps[i], x.ps[j] = x.ps[j], x.ps[i]
}

// seal sorts the index and drops the slack of its growth.
func (x *index) seal() {
	sort.Sort(x)
	x.hs, x.ps = slices.Clone(x.hs), slices.Clone(x.ps)
}

// find returns the persons under h, in dump order.
func (x *index) find(h uint64) []int32 {
	i, j := 0, len(x.hs)
	for i < j {
		m := int(uint(i+j) >> 1)
		if x.hs[m] < h {
			i = m + 1
		} else {
			j = m
		}
	}
	if i == len(x.hs) || x.hs[i] != h {
		return nil
	}
	j = i
	for j < len(x.hs) && x.hs[j] == h {
		j++
	}
	return x.ps[i:j]
}

// idIndex finds a person of one people table by id: an array where the ids are
// dense (as database ids are), a sorted list where they are not.
type idIndex struct {
	min    int64
	dense  []int32 // person + 1 by id - min; 0 for none
	sparse []int64 // (id, person) pairs flattened, sorted by id, when not dense
}

func (x *idIndex) lookup(id int64) int32 {
	if x.dense != nil {
		if i := id - x.min; i >= 0 && i < int64(len(x.dense)) {
			return x.dense[i] - 1
		}
		return -1
	}
	i, ok := slices.BinarySearchFunc(x.sparse, id, func(e int64, id int64) int { return cmpI64(e>>31, id) })
	if !ok {
		return -1
	}
	return int32(x.sparse[i] & (1<<31 - 1))
}

func cmpI64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// hashSet is a sorted set of hashes.
type hashSet []uint64

func (s hashSet) has(h uint64) bool { _, ok := slices.BinarySearch(s, h); return ok }

func newPeople(tables []string) *People {
	return &People{seed: maphash.MakeSeed(), tables: tables}
}

func (pp *People) hash(b []byte) uint64 { return maphash.Bytes(pp.seed, b) }

// Fields are one person's personal values as the dump holds them; nil for NULL.
type Fields struct {
	Email, First, Last, Street, Phone, Password, BirthDate []byte
}

// byRole points, for each personal role (isPersonal), at the field of f that
// holds its value.
func (f *Fields) byRole() [roleBirthDate + 1]*[]byte {
	return [...]*[]byte{roleEmail: &f.Email, roleFirst: &f.First, roleLast: &f.Last, roleStreet: &f.Street,
		rolePhone: &f.Phone, rolePassword: &f.Password, roleBirthDate: &f.BirthDate}
}

// add records a person of the people table t.
func (pp *People) add(t int, id int64, f Fields) {
	p := int32(len(pp.idOf))
	pp.tableOf, pp.idOf = append(pp.tableOf, uint8(t)), append(pp.idOf, id)
	if len(f.Email) > 0 {
		pp.emails.add(pp.hash(lowerInto(nil, bytes.TrimSpace(f.Email))), p)
	}
	first, last := pp.addName(&pp.first, &pp.firstPart, f.First, p), pp.addName(&pp.last, &pp.lastPart, f.Last, p)
	if len(first) > 0 && len(last) > 0 {
		// A full name is the first name, whole or its last word, followed by the
		// last name's main word: "Anna-Lena zu Müller-Lüdenscheidt" is found as
		// "Anna-Lena Müller", "Lena Müller" and "Anna-Lena zu Müller".
		main := last[0]
		pp.full.add(pp.pairHash(joinWords(first), main), p)
		if len(first) > 1 {
			pp.full.add(pp.pairHash(first[len(first)-1], main), p)
			pp.starts = append(pp.starts, pp.hash(first[len(first)-1]))
		}
		pp.starts = append(pp.starts, pp.hash(main)) // "Müller, Anna"
	}
	if d := normalizePhone(f.Phone); len(d) >= minPhoneDigits {
		pp.phones = append(pp.phones, pp.hash(d))
	}
	for _, key := range streetKeys(f.Street) {
		pp.streets = append(pp.streets, pp.hash(key.words))
		first, _, _ := bytes.Cut(key.words, []byte(" "))
		pp.starts = append(pp.starts, pp.hash(first))
		if key.tokens < 32 {
			pp.streetLens |= 1 << key.tokens
		}
	}
	if len(f.Password) > 0 {
		pp.hashes = append(pp.hashes, pp.hash(f.Password))
	}
	if d, err := time.Parse(time.DateOnly, string(f.BirthDate)); err == nil {
		pp.births.add(dayKey(d), p)
	}
}

// dayKey is the key of a date in the births index: days since 1970.
func dayKey(d time.Time) uint64 { return uint64(d.Unix()/86400 + 1<<32) }

// particles are the words of names that are no names on their own ("zu
// Guttenberg", "van der Berg", "de la Cruz"): they never count as one.
var particles = map[string]bool{"von": true, "vom": true, "zu": true, "zum": true, "zur": true, "van": true, "der": true,
	"den": true, "de": true, "des": true, "di": true, "da": true, "du": true, "del": true, "della": true, "la": true,
	"le": true, "ten": true, "ter": true, "op": true, "und": true, "al": true, "el": true, "bin": true, "ibn": true}

// nameWords returns the canonical words of a name, particles left out.
func nameWords(name []byte) [][]byte {
	var out [][]byte
	for _, t := range tokenize(nil, name) {
		if w := canon(nil, name[t.start:t.end]); !t.number && len(w) >= 2 && !particles[string(w)] {
			out = append(out, w)
		}
	}
	return out
}

// addName files a name under its whole spelling in whole, and the words of a name
// of several words in parts; it returns the words.
func (pp *People) addName(whole, parts *index, name []byte, p int32) [][]byte {
	words := nameWords(name)
	for _, w := range words {
		pp.starts = append(pp.starts, pp.hash(w))
	}
	switch n := len(words); {
	case n == 1:
		whole.add(pp.hash(words[0]), p)
	case n > 1 && n < 32:
		whole.add(pp.hash(joinWords(words)), p)
		pp.nameLens |= 1 << n
		for _, w := range words {
			parts.add(pp.hash(w), p)
		}
	}
	return words
}

func joinWords(words [][]byte) []byte { return bytes.Join(words, []byte(" ")) }

func (pp *People) pairHash(a, b []byte) uint64 {
	var h maphash.Hash
	h.SetSeed(pp.seed)
	h.Write(a)
	h.WriteByte(0)
	h.Write(b)
	return h.Sum64()
}

// link records that two people are family (a parent and a child); the ids are
// resolved once the dictionary is sealed.
func (pp *People) link(ta int, a int64, tb int, b int64) {
	pp.links = append(pp.links, [2]int32{int32(len(pp.pending)), int32(len(pp.pending) + 1)})
	pp.pending = append(pp.pending, person{table: uint8(ta), id: a}, person{table: uint8(tb), id: b})
}

// seal sorts the indexes and builds the family lists: the dictionary is complete.
// Every list is copied to its exact size, so that nothing of its growth stays.
func (pp *People) seal() {
	if pp.sealed {
		return
	}
	for _, x := range []*index{&pp.first, &pp.last, &pp.firstPart, &pp.lastPart, &pp.full, &pp.emails, &pp.births} {
		x.seal()
	}
	pp.tableOf, pp.idOf = slices.Clone(pp.tableOf), slices.Clone(pp.idOf)
	pp.indexIDs()
	pp.maxWords = 1
	for k := 2; k < 32; k++ {
		if pp.nameLens&(1<<k) != 0 {
			pp.maxWords = k
		}
	}
	for _, s := range []*hashSet{&pp.phones, &pp.streets, &pp.hashes, &pp.starts} {
		slices.Sort(*s)
		*s = slices.Clone(slices.Compact(*s))
	}
	var pairs [][2]int32
	for _, l := range pp.links {
		a, b := pp.pending[l[0]], pp.pending[l[1]]
		pa, pb := pp.lookup(int(a.table), a.id), pp.lookup(int(b.table), b.id)
		if pa >= 0 && pb >= 0 {
			pairs = append(pairs, [2]int32{pa, pb}, [2]int32{pb, pa})
		}
	}
	pp.links, pp.pending = nil, nil
	slices.SortFunc(pairs, func(a, b [2]int32) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
	pp.famStart = make([]int32, len(pp.idOf)+1)
	pp.famList = make([]int32, len(pairs))
	for i, pr := range pairs {
		pp.famStart[pr[0]+1]++
		pp.famList[i] = pr[1]
	}
	for p := range pp.idOf {
		pp.famStart[p+1] += pp.famStart[p]
	}
	pp.sealed = true
}

// indexIDs builds the id lookup of every people table.
func (pp *People) indexIDs() {
	pp.byID = make([]idIndex, len(pp.tables))
	for t := range pp.tables {
		x := &pp.byID[t]
		n, lo, hi := 0, int64(0), int64(-1)
		for p, id := range pp.idOf {
			if int(pp.tableOf[p]) != t {
				continue
			}
			if n == 0 || id < lo {
				lo = id
			}
			if n == 0 || id > hi {
				hi = id
			}
			n++
		}
		if n == 0 {
			continue
		}
		if span := hi - lo + 1; span <= 2*int64(n)+1024 {
			x.min, x.dense = lo, make([]int32, span)
			for p, id := range pp.idOf {
				if int(pp.tableOf[p]) == t && x.dense[id-lo] == 0 {
					x.dense[id-lo] = int32(p) + 1
				}
			}
			continue
		}
		for p, id := range pp.idOf {
			if int(pp.tableOf[p]) == t && id >= -(1<<31) && id < 1<<31 {
				x.sparse = append(x.sparse, id<<31|int64(p))
			}
		}
		slices.SortStableFunc(x.sparse, func(a, b int64) int { return cmpI64(a>>31, b>>31) })
	}
}

// family returns person p's family.
func (pp *People) family(p int32) []int32 { return pp.famList[pp.famStart[p]:pp.famStart[p+1]] }

// Len is how many people the dictionary holds.
func (pp *People) Len() int { return len(pp.idOf) }

// lookup returns the person of people table t with id, or -1.
func (pp *People) lookup(t int, id int64) int32 {
	if t < 0 || t >= len(pp.byID) {
		return -1
	}
	return pp.byID[t].lookup(id)
}

// idText is a person's id as the dump writes it.
func (pp *People) idText(p int32) []byte {
	return strconv.AppendInt(nil, pp.idOf[p], 10)
}

// minPhoneDigits is the fewest digits a phone number has: shorter runs of digits
// (years, house numbers, amounts) are never taken for one.
const minPhoneDigits = 6

// normalizePhone reduces a phone number to its digits in the national form:
// "+49 (0)170 555-0001", "0049 170 5550001" and "0170/5550001" are all "01705550001".
func normalizePhone(s []byte) []byte {
	var d []byte
	plus := false
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9':
			d = append(d, c)
		case c == '+' && len(d) == 0 && i < len(s)-1:
			plus = true
		}
	}
	switch {
	case plus && bytes.HasPrefix(d, []byte("49")):
		d = d[2:]
	case !plus && bytes.HasPrefix(d, []byte("0049")):
		d = d[4:]
	case plus:
		return append([]byte("00"), d...)
	default:
		return d
	}
	d = bytes.TrimLeft(d, "0")
	return append([]byte("0"), d...)
}

// streetKey is how a street is looked for in text: its canonical words up to the
// house number, joined by spaces, and how many tokens that is.
type streetKey struct {
	words  []byte
	tokens int
}

// streetKeys returns the keys of an address: for each of its lines, the words up
// to and with the first number ("Hauptstraße 12b, Hinterhaus" is found as
// "Hauptstraße 12" and "Hauptstr. 12"). A line without a number counts when it has
// at least two words.
func streetKeys(street []byte) []streetKey {
	var out []streetKey
	for _, line := range bytes.Split(street, []byte("\n")) {
		toks := tokenize(nil, line)
		end := len(toks)
		for i, t := range toks {
			if t.number {
				end = i + 1
				break
			}
		}
		if end == 0 || (end == len(toks) && !toks[end-1].number && end < 2) {
			continue
		}
		out = append(out, streetKey{words: streetWords(nil, line, toks[:end]), tokens: end})
	}
	return out
}

// streetWords appends the canonical words of toks in s, joined by spaces, with
// "Straße", "Strasse" and "Str" (and their ends, as in "Hauptstraße") spelled one way.
func streetWords(dst, s []byte, toks []token) []byte {
	for k, t := range toks {
		if k > 0 {
			dst = append(dst, ' ')
		}
		start := len(dst)
		dst = canon(dst, s[t.start:t.end])
		if w := dst[start:]; bytes.HasSuffix(w, []byte("strase")) {
			dst = append(dst[:len(dst)-len("strase")], "str"...)
		}
	}
	return dst
}

// bornOn returns the people born on the date found, nil for none: for a year of
// two digits, on either of its readings.
func (pp *People) bornOn(dm dateMatch) []int32 {
	if ps := pp.births.find(dayKey(dm.day)); len(ps) > 0 || !dm.twoDigitYear {
		return ps
	}
	return pp.births.find(dayKey(dm.alt))
}

// isProductionPhone reports whether raw is a production phone number in any
// spelling: with separators or without, with the country code (+49, 0049, or 49
// alone as in the JSON number 491719743602) or the leading zero or without.
func (m *matcher) isProductionPhone(raw []byte) bool {
	pp := m.pp
	if len(pp.phones) == 0 {
		return false
	}
	for _, v := range phoneVariants(raw) {
		if len(v) >= minPhoneDigits && pp.phones.has(pp.hash(v)) {
			return true
		}
	}
	return false
}

// phoneVariants are the national forms a phone number as written may stand for:
// as normalizePhone reads it, and for one written without a + or 00, after a
// country code 49 and with its leading 0 left out.
func phoneVariants(raw []byte) [][]byte {
	out := [][]byte{normalizePhone(raw)}
	if bytes.IndexByte(raw, '+') >= 0 {
		return out
	}
	var d []byte
	for _, c := range raw {
		if c >= '0' && c <= '9' {
			d = append(d, c)
		}
	}
	if bytes.HasPrefix(d, []byte("49")) && len(d) >= 10 {
		out = append(out, append([]byte("0"), bytes.TrimLeft(d[2:], "0")...))
	}
	if len(d) >= 9 && d[0] != '0' {
		out = append(out, append([]byte("0"), d...))
	}
	return out
}
