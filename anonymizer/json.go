package anonymizer

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/wippidu/wippidu"
)

// maxJSONDepth bounds the nesting of a JSON value the walk follows.
const maxJSONDepth = 256

// errJSON is the refusal of a value that is not JSON.
var errJSON = errors.New("not valid JSON")

// jsonWalk rewrites one JSON document: the keys the policy names get their
// method's value, every other string goes through the free-text replacement, and
// everything else is copied byte for byte.
type jsonWalk struct {
	c    *Column
	s    *scrubber
	src  []byte
	i    int
	path []string
	str  []byte
	out  []byte
}

// scrubJSON appends the rewritten document to dst.
func (c *Column) scrubJSON(dst, src []byte, s *scrubber) ([]byte, error) {
	w := &jsonWalk{c: c, s: s, src: src}
	var err error
	if dst, err = w.value(dst, 0); err != nil {
		return dst, err
	}
	w.space()
	if w.i != len(src) {
		return dst, fmt.Errorf("%w: data after the value at byte %d", errJSON, w.i)
	}
	return dst, nil
}

func (w *jsonWalk) space() {
	for w.i < len(w.src) && (w.src[w.i] == ' ' || w.src[w.i] == '\t' || w.src[w.i] == '\n' || w.src[w.i] == '\r') {
		w.i++
	}
}

// value rewrites the value at w.i.
func (w *jsonWalk) value(dst []byte, depth int) ([]byte, error) {
	if depth > maxJSONDepth {
		return dst, fmt.Errorf("%w: nested deeper than %d", errJSON, maxJSONDepth)
	}
	w.space()
	if w.i >= len(w.src) {
		return dst, fmt.Errorf("%w: it ends early", errJSON)
	}
	if rule := w.rule(); rule != nil {
		return w.replace(dst, rule, depth)
	}
	switch c := w.src[w.i]; {
	case c == '{':
		return w.object(dst, depth)
	case c == '[':
		return w.array(dst, depth)
	case c == '"':
		str, err := w.string()
		if err != nil {
			return dst, err
		}
		w.out = w.c.scrubString(w.out[:0], str, w.s)
		return appendJSONString(dst, w.out), nil
	default:
		start := w.i
		for w.i < len(w.src) && !isJSONDelim(w.src[w.i]) {
			w.i++
		}
		lit := w.src[start:w.i]
		if !validScalar(lit) {
			return dst, fmt.Errorf("%w: unexpected %q at byte %d", errJSON, w.src[start], start)
		}
		if digits := bytes.TrimPrefix(lit, []byte("-")); isInteger(digits) && len(digits) >= minCheckedDigits {
			// A number that could be a phone number, a birth date or an account
			// is treated like digits in text; what replaces it is a number too.
			dst = append(dst, lit[:len(lit)-len(digits)]...)
			return w.c.scrubNumber(dst, digits, w.s), nil
		}
		return append(dst, lit...), nil
	}
}

func isJSONDelim(c byte) bool {
	return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

func validScalar(lit []byte) bool {
	switch string(lit) {
	case "true", "false", "null":
		return true
	}
	_, err := strconv.ParseFloat(string(lit), 64)
	return err == nil || errors.Is(err, strconv.ErrRange)
}

func (w *jsonWalk) object(dst []byte, depth int) ([]byte, error) {
	return w.container(dst, '{', '}', func(dst []byte) ([]byte, error) { return w.member(dst, depth) })
}

func (w *jsonWalk) array(dst []byte, depth int) ([]byte, error) {
	return w.container(dst, '[', ']', func(dst []byte) ([]byte, error) { return w.value(dst, depth+1) })
}

// container walks an object or an array, whose brackets are open and end: the
// commas between its members or elements, and each of them with elem.
func (w *jsonWalk) container(dst []byte, open, end byte, elem func([]byte) ([]byte, error)) ([]byte, error) {
	w.i++
	dst = append(dst, open)
	for first := true; ; first = false {
		w.space()
		if w.i < len(w.src) && w.src[w.i] == end {
			w.i++
			return append(dst, end), nil
		}
		if !first {
			if w.i >= len(w.src) || w.src[w.i] != ',' {
				return dst, fmt.Errorf("%w: expected , or %c at byte %d", errJSON, end, w.i)
			}
			w.i++
			dst = append(dst, ',')
		}
		var err error
		if dst, err = elem(dst); err != nil {
			return dst, err
		}
	}
}

// member walks one member of an object: its key and its value.
func (w *jsonWalk) member(dst []byte, depth int) ([]byte, error) {
	w.space()
	if w.i >= len(w.src) || w.src[w.i] != '"' {
		return dst, fmt.Errorf("%w: expected a key at byte %d", errJSON, w.i)
	}
	key, err := w.string()
	if err != nil {
		return dst, err
	}
	keyName := string(key)
	// Keys are free text too: a name used as a key is a name.
	w.out = w.c.scrubString(w.out[:0], key, w.s)
	dst = append(appendJSONString(dst, w.out), ':')
	w.space()
	if w.i >= len(w.src) || w.src[w.i] != ':' {
		return dst, fmt.Errorf("%w: expected : at byte %d", errJSON, w.i)
	}
	w.i++
	w.path = append(w.path, keyName)
	dst, err = w.value(dst, depth+1)
	w.path = w.path[:len(w.path)-1]
	return dst, err
}

// rule returns the policy's rule for the key the walk is at, if any. Arrays are
// looked through: a rule for contact->phone covers every element of a contact list.
func (w *jsonWalk) rule() *Rule {
	for i := range w.c.keys {
		if r := &w.c.keys[i]; slices.Equal(r.Path, w.path) && !w.c.a.off[r.Anonymizer] {
			return r
		}
	}
	return nil
}

// replace writes a key's replacement in place of its value, whatever that is.
func (w *jsonWalk) replace(dst []byte, r *Rule, depth int) ([]byte, error) {
	start := w.i
	if err := w.skip(depth); err != nil {
		return dst, err
	}
	m := methods[r.Method]
	if m.role == roleBody && w.src[start] == '"' {
		orig := &jsonWalk{src: w.src[start:w.i]}
		if str, err := orig.string(); err == nil {
			w.c.a.leaks.body(w.c.a.people, str)
		}
	}
	row := *w.s.row
	row.Table, row.NotNull = r.Name(), false
	var null bool
	w.out, null = m.fn(w.c.a, w.out[:0], row)
	if null {
		return append(dst, "null"...), nil
	}
	return appendJSONString(dst, w.out), nil
}

// skip moves past the value at w.i, checking only that it is well formed.
func (w *jsonWalk) skip(depth int) error {
	if depth > maxJSONDepth {
		return fmt.Errorf("%w: nested deeper than %d", errJSON, maxJSONDepth)
	}
	w.space()
	if w.i >= len(w.src) {
		return fmt.Errorf("%w: it ends early", errJSON)
	}
	switch c := w.src[w.i]; c {
	case '"':
		_, err := w.string()
		return err
	case '{', '[':
		closing := byte('}')
		if c == '[' {
			closing = ']'
		}
		w.i++
		for first := true; ; first = false {
			w.space()
			if w.i < len(w.src) && w.src[w.i] == closing {
				w.i++
				return nil
			}
			if !first {
				if w.i >= len(w.src) || w.src[w.i] != ',' {
					return fmt.Errorf("%w: expected , at byte %d", errJSON, w.i)
				}
				w.i++
			}
			if c == '{' {
				w.space()
				if w.i >= len(w.src) || w.src[w.i] != '"' {
					return fmt.Errorf("%w: expected a key at byte %d", errJSON, w.i)
				}
				if _, err := w.string(); err != nil {
					return err
				}
				w.space()
				if w.i >= len(w.src) || w.src[w.i] != ':' {
					return fmt.Errorf("%w: expected : at byte %d", errJSON, w.i)
				}
				w.i++
			}
			if err := w.skip(depth + 1); err != nil {
				return err
			}
		}
	}
	start := w.i
	for w.i < len(w.src) && !isJSONDelim(w.src[w.i]) {
		w.i++
	}
	if !validScalar(w.src[start:w.i]) {
		return fmt.Errorf("%w: unexpected %q at byte %d", errJSON, w.src[start], start)
	}
	return nil
}

// string reads the JSON string at w.i and returns its decoded bytes.
func (w *jsonWalk) string() ([]byte, error) {
	w.i++
	w.str = w.str[:0]
	for w.i < len(w.src) {
		c := w.src[w.i]
		switch {
		case c == '"':
			w.i++
			return w.str, nil
		case c == '\\':
			if w.i+1 >= len(w.src) {
				return nil, fmt.Errorf("%w: a string ends early", errJSON)
			}
			e := w.src[w.i+1]
			w.i += 2
			switch e {
			case '"', '\\', '/':
				w.str = append(w.str, e)
			case 'b':
				w.str = append(w.str, '\b')
			case 'f':
				w.str = append(w.str, '\f')
			case 'n':
				w.str = append(w.str, '\n')
			case 'r':
				w.str = append(w.str, '\r')
			case 't':
				w.str = append(w.str, '\t')
			case 'u':
				r, err := w.hex4()
				if err != nil {
					return nil, err
				}
				if utf16.IsSurrogate(r) && w.i+1 < len(w.src) && w.src[w.i] == '\\' && w.src[w.i+1] == 'u' {
					w.i += 2
					lo, err := w.hex4()
					if err != nil {
						return nil, err
					}
					r = utf16.DecodeRune(r, lo)
				}
				w.str = utf8.AppendRune(w.str, r)
			default:
				return nil, fmt.Errorf("%w: bad escape \\%c", errJSON, e)
			}
		default:
			w.str = append(w.str, c)
			w.i++
		}
	}
	return nil, fmt.Errorf("%w: a string ends early", errJSON)
}

func (w *jsonWalk) hex4() (rune, error) {
	if w.i+4 > len(w.src) {
		return 0, fmt.Errorf("%w: a \\u escape ends early", errJSON)
	}
	v, err := strconv.ParseUint(string(w.src[w.i:w.i+4]), 16, 16)
	if err != nil {
		return 0, fmt.Errorf("%w: bad \\u escape", errJSON)
	}
	w.i += 4
	return rune(v), nil
}

// appendJSONString writes s as a JSON string.
func appendJSONString(dst, s []byte) []byte {
	dst = append(dst, '"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20:
			dst = append(dst, fmt.Sprintf(`\u%04x`, c)...)
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// scrubNumber appends the digits of a JSON integer rebuilt like a number in text,
// as a number: kept when it is short, common in the dump or an ordinary date; a
// production birth date becomes the person's fake one (YYYYMMDD), a production
// phone number or any other rare number digits of the same length.
func (c *Column) scrubNumber(dst, digits []byte, s *scrubber) []byte {
	base := len(dst)
	m := &s.m
	m.reset(s.pp, digits)
	var kind wippidu.ReplacedKind
	var born []int32
	dm, isDate := m.dateAt(0)
	if isDate {
		born = s.pp.bornOn(dm)
	}
	switch {
	case c.a.off[Contacts] || c.a.letThrough[ReplacedDigits] || c.a.letThrough[ReplacedPhone] || c.a.letThrough[ReplacedDate]:
		dst = append(dst, digits...)
	case isDate && dm.end == len(digits) && len(born) > 0:
		p := s.choose(born)
		dst = dm.rewrite(dst, digits, c.a.fakeBirthDate(s.pp.tables[s.pp.tableOf[p]], s.pp.idText(p), dm.day))
		kind = ReplacedDate
	case isDate && dm.end == len(digits):
		dst = append(dst, digits...)
	case m.isProductionPhone(digits):
		dst, kind = fakeDigits(dst, digits, c.a.valueHash("phone", digits)), ReplacedPhone
	case !c.a.numberAllowed(m, digits):
		dst, kind = fakeDigits(dst, digits, c.a.valueHash("digits", digits)), ReplacedDigits
	default:
		dst = append(dst, digits...)
	}
	s.spans = s.spans[:0]
	if kind != "" {
		s.spans = append(s.spans, span{0, len(dst) - base})
		c.a.leaks.replaced(c.check, kind)
	}
	c.a.leaks.check(c.a, c.check, dst[base:], s.spans, checkFree)
	return dst
}
