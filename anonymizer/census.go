package anonymizer

import (
	"hash/maphash"
	"slices"
	"strconv"
)

// CommonWriters is k of the allow-list: a word or number of the kept free text
// reaches staging as it is only when rows written by at least this many different
// people hold it. Five is the smallest group that statistical offices publish
// figures about, and on the demo data it keeps every shared word: at 20,000 users
// none of the 295 words that are no names is written by fewer than 5 people (one
// by fewer than 10); at 2,000 users 5 words are (14 of 119,789 uses), at 300
// users 15 (35 of 18,735). See docs/data-policy.md.
const CommonWriters = 5

// maxCensusTokens bounds the words and numbers the census follows at once, so
// that its memory is bounded whatever the dump holds (about 40 bytes each). A
// word first seen once the table is full counts as rare: replaced, the safe side.
const maxCensusTokens = 1 << 19

// Census counts, for every word and long number of the kept free text of a dump
// (see CensusTables), how many different people wrote rows that hold it, up to
// CommonWriters. An export counts its snapshot and writes the common tokens into
// the dump's header; an import of a dump without them counts in a pass of its own.
type Census struct {
	seed    maphash.Seed
	index   map[uint64]int32 // token hash → entry
	entries []censusEntry
	common  []string
	full    bool // maxCensusTokens reached: new tokens are not followed
	writers map[string]*idWriters
	rows    int64
	toks    []token
	key     []byte
	str     []byte
}

// censusEntry is one token's writers so far.
type censusEntry struct {
	writers [CommonWriters]uint32
	n       uint8
}

// NewCensus returns an empty census.
func NewCensus() *Census {
	return &Census{seed: maphash.MakeSeed(), index: map[uint64]int32{}}
}

// Common returns the tokens written by at least CommonWriters people, in their
// canonical spelling (canon), sorted.
func (c *Census) Common() []string {
	out := append([]string{}, c.common...)
	slices.Sort(out)
	return out
}

// addText counts the tokens of one text for writer.
func (c *Census) addText(writer uint32, text []byte) {
	c.toks = tokenize(c.toks[:0], text)
	for _, t := range c.toks {
		if t.number && t.end-t.start < minCheckedDigits {
			continue // short numbers pass anyway
		}
		c.key = canon(c.key[:0], text[t.start:t.end])
		if !t.number && len(c.key) < 2 {
			continue // single letters pass anyway
		}
		c.count(writer, c.key)
	}
}

// minCheckedDigits is the shortest number the allow-list looks at: shorter ones
// (a house number, a year, the 5662 of IMG_5662.HEIC) single no one out alone.
const minCheckedDigits = 5

// count notes that writer wrote the canonical token key.
func (c *Census) count(writer uint32, key []byte) {
	h := maphash.Bytes(c.seed, key)
	i, ok := c.index[h]
	if !ok {
		if c.full || len(c.entries) >= maxCensusTokens {
			c.full = true
			return
		}
		i = int32(len(c.entries))
		c.index[h] = i
		c.entries = append(c.entries, censusEntry{})
	}
	e := &c.entries[i]
	if int(e.n) >= CommonWriters || slices.Contains(e.writers[:e.n], writer) {
		return
	}
	e.writers[e.n] = writer
	e.n++
	if int(e.n) == CommonWriters {
		c.common = append(c.common, string(key))
	}
}

// add counts one value of a kept free-text column: a text, an array literal of
// texts, or a JSON document (its strings, keys and integers).
func (c *Census) add(writer uint32, sh shape, value []byte) {
	switch sh {
	case shapeArray:
		// A value that is no array literal is refused by the load; here it
		// simply counts for nothing.
		_, _ = scrubArray(nil, value, func(dst, elem []byte) []byte {
			c.addText(writer, elem)
			return dst
		})
	case shapeJSON:
		c.addJSON(writer, value)
	default:
		c.addText(writer, value)
	}
}

// addJSON counts the strings (keys and values) and the integers of a JSON
// document. The structure does not matter here, only the text in it.
func (c *Census) addJSON(writer uint32, doc []byte) {
	for i := 0; i < len(doc); {
		switch ch := doc[i]; {
		case ch == '"':
			w := jsonWalk{src: doc, i: i, str: c.str}
			s, err := w.string()
			if err != nil {
				return
			}
			c.str = s
			c.addText(writer, s)
			i = w.i
		case ch >= '0' && ch <= '9':
			j := i
			for j < len(doc) && !isJSONDelim(doc[j]) {
				j++
			}
			if lit := doc[i:j]; isInteger(lit) {
				c.addText(writer, lit)
			}
			i = j
		default:
			i++
		}
	}
}

// isInteger reports whether a JSON number is an integer: digits alone.
func isInteger(lit []byte) bool {
	for _, ch := range lit {
		if ch < '0' || ch > '9' {
			return false
		}
	}
	return len(lit) > 0
}

// writerKey names a writer in the census: a person, or (for a row nobody wrote)
// the row itself.
func writerKey(seed maphash.Seed, kind string, id []byte) uint32 {
	var h maphash.Hash
	h.SetSeed(seed)
	h.WriteString(kind)
	h.WriteByte(0)
	h.Write(id)
	return uint32(h.Sum64())
}

// peopleKind is how writerKey names people table p.
func peopleKind(p int) string { return "people " + strconv.Itoa(p) }

// idWriters remembers the writer of each row of a table by id, for the rows of
// other tables whose writer it is: a slice by id where ids are dense (as
// database ids are), a map for the rest.
type idWriters struct {
	base  int64
	dense []uint32 // writer + 1, 0 for none
	rest  map[int64]uint32
}

// maxIDGap is how far past the ids seen so far an id may be and still be kept
// in the slice.
const maxIDGap = 1 << 16

func (x *idWriters) set(id int64, w uint32) {
	w = min(w, 1<<32-2) // w+1 must not wrap to "none"
	if x.dense == nil && x.rest == nil {
		x.base = id
	}
	if i := id - x.base; i >= 0 && i < int64(len(x.dense))+maxIDGap {
		for int64(len(x.dense)) <= i {
			x.dense = append(x.dense, 0)
		}
		x.dense[i] = w + 1
		return
	}
	if x.rest == nil {
		x.rest = map[int64]uint32{}
	}
	x.rest[id] = w
}

func (x *idWriters) get(id int64) (uint32, bool) {
	if i := id - x.base; i >= 0 && i < int64(len(x.dense)) && x.dense[i] != 0 {
		return x.dense[i] - 1, true
	}
	w, ok := x.rest[id]
	return w, ok
}

// recorded returns the writers of table's rows.
func (c *Census) recorded(table string) *idWriters {
	if c.writers == nil {
		c.writers = map[string]*idWriters{}
	}
	x := c.writers[table]
	if x == nil {
		x = &idWriters{}
		c.writers[table] = x
	}
	return x
}
