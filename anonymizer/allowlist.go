package anonymizer

import (
	"fmt"
	"hash/maphash"
	"slices"
	"unicode/utf8"
)

// allowList is what an import knows of the dump's common tokens: those written by
// at least CommonWriters people (see Census), by the hash of their canonical
// spelling. A word of kept free text that is not here is rare, and replaced.
type allowList struct {
	seed  maphash.Seed
	words hashSet
	known bool // a census was given; without one every token of two letters or more is rare
}

func (l *allowList) set(words []string) {
	l.seed = maphash.MakeSeed()
	l.words = make(hashSet, 0, len(words))
	for _, w := range words {
		l.words = append(l.words, maphash.String(l.seed, w))
	}
	slices.Sort(l.words)
	l.words = slices.Compact(l.words)
	l.known = true
}

// has reports whether the canonical token key is common.
func (l *allowList) has(key []byte) bool {
	return l.known && l.words.has(maphash.Bytes(l.seed, key))
}

// UseCommonTokens gives the import the dump's common tokens as the export counted
// them (the header's common_tokens), counted with k writers.
func (a *Anonymizer) UseCommonTokens(k int, words []string) error {
	if k < CommonWriters {
		return fmt.Errorf("the dump's common tokens were counted with %d writers, fewer than the %d this instance needs", k, CommonWriters)
	}
	a.allow.set(words)
	return nil
}

// UseCensus gives the import the common tokens of a census it took itself.
func (a *Anonymizer) UseCensus(c *Census) { a.allow.set(c.common) }

// CommonTokens is how many common tokens the import knows.
func (a *Anonymizer) CommonTokens() int { return len(a.allow.words) }

// wordAllowed reports whether a word of kept free text may stay: a single letter,
// or a word common in the dump. key is scratch space.
func (a *Anonymizer) wordAllowed(key *[]byte, word []byte) bool {
	if utf8.RuneCount(word) < 2 {
		return true
	}
	*key = canon((*key)[:0], word)
	return a.allow.has(*key)
}

// numberAllowed reports whether a number of kept free text that is no date may
// stay: a short one, or one common in the dump that is no production phone
// number.
func (a *Anonymizer) numberAllowed(m *matcher, digits []byte) bool {
	if len(digits) < minCheckedDigits {
		return true
	}
	return !m.isProductionPhone(digits) && a.allow.has(digits)
}
