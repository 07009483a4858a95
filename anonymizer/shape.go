package anonymizer

import (
	"bytes"
	"regexp"
)

// A kept column that is not free text (reason enum, code, locale, mime_type, …)
// keeps only values of its reason's shape; anything else in it ("de-Weißenböck" in
// users.locale) is replaced by a value of the shape. A value of the right shape
// still may not name one of the dump's people.

// shapes are the forms the values of kept structured columns must have.
var shapes = map[string]*regexp.Regexp{
	// A value of a set: a lower-case word, as a CHECK constraint lists them.
	"enum": regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`),
	// A locale: a language of 2 or 3 letters, perhaps a script, perhaps a region.
	"locale": regexp.MustCompile(`^[a-z]{2,3}([-_][A-Z][a-z]{3})?([-_]([A-Z]{2}|[a-z]{2}|[0-9]{3}))?$`),
	// A MIME type: one of the registered top-level types, a subtype of the
	// characters RFC 6838 allows, in lower case.
	"mime_type": regexp.MustCompile(`^(application|audio|font|image|message|model|multipart|text|video)/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$`),
	// Anything else: short segments of letters and digits joined by - _ / . :
	// ("2026/27", "de-AT", "A-12").
	"": regexp.MustCompile(`^[A-Za-z0-9]{1,8}([-_/.:][A-Za-z0-9]{1,8}){0,3}$`),
}

// shapeFor is the shape of a kept structured column's reason.
func shapeFor(reason string) *regexp.Regexp {
	if re, ok := shapes[reason]; ok {
		return re
	}
	return shapes[""]
}

// stand-ins replace a structured value that does not have its shape.
const (
	standInMIME   = "application/octet-stream"
	standInLocale = "und" // BCP 47: undetermined
)

// standIn is what replaces a structured value without its shape: for a locale its
// language when that has the shape ("de" of "de-Weißenböck"), else "und"; for a
// MIME type application/octet-stream; for an enum nothing, which its constraint
// refuses if it has one (another value of a set such as a role could grant what
// the row never had); for anything else the first value of the column that had
// the shape (an ordinary value of it), or nothing.
func (c *Column) standIn(dst, value []byte) []byte {
	switch c.reason {
	case "enum":
		return dst
	case "locale":
		lang, _, _ := bytes.Cut(value, []byte("-"))
		lang, _, _ = bytes.Cut(lang, []byte("_"))
		if shapes["locale"].Match(lang) {
			return append(dst, lang...)
		}
		return append(dst, standInLocale...)
	case "mime_type":
		return append(dst, standInMIME...)
	}
	return append(dst, c.firstGood...)
}

// structured appends a kept structured value: as it is when it has its shape
// and names none of the dump's people, else its stand-in.
func (c *Column) structured(dst, value []byte, s *scrubber) []byte {
	// A value without its shape is a rare token of sorts: the names switch covers it.
	if c.a.off[Names] || c.a.letThrough[ReplacedShape] || shapeFor(c.reason).Match(value) && !s.namesSomeone(c.reason, value) {
		if c.firstGood == nil {
			c.firstGood = append([]byte{}, value...)
		}
		base := len(dst)
		dst = append(dst, value...)
		c.a.leaks.checkStructured(c.a, c.check, dst[base:], c.reason)
		return dst
	}
	base := len(dst)
	dst = c.standIn(dst, value)
	c.a.leaks.replaced(c.check, ReplacedShape)
	c.a.leaks.checkStructured(c.a, c.check, dst[base:], c.reason)
	return dst
}

// namesSomeone reports whether a structured value holds a name, email, phone
// number or street of the dump's people (a word of three letters or more). The
// values of an enum are the schema's, not people's: a role "admin" stays "admin"
// although a user is called Ada Admin.
func (s *scrubber) namesSomeone(reason string, value []byte) bool {
	if reason == "enum" {
		return false
	}
	m := &s.m
	m.reset(s.pp, value)
	for ti := range m.toks {
		t := m.toks[ti]
		if _, ok := m.at(ti, findEmail|findPhone|findStreet|findFullName); ok {
			return true
		}
		if !t.number && t.end-t.start >= 3 {
			if _, ok := m.nameAt(ti); ok {
				return true
			}
		}
	}
	return false
}
