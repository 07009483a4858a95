package dump

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// lexer reads JSON tokens from the decompressed dump through a fixed buffer. It
// knows nothing of the dump's layout: the Reader (reader.go), which embeds it,
// does. Every error about the input goes through formatErr, which keeps the first
// one; where names the place in the dump for its message.
type lexer struct {
	zr     io.Reader // the decompressed dump
	buf    []byte
	pos    int
	end    int
	offset int64 // decompressed bytes consumed before buf[0]
	eof    bool
	err    error
	where  func() string
}

// fill makes at least one more byte available; false at end of input or error.
func (r *lexer) fill() bool {
	if r.err != nil || r.eof {
		return false
	}
	if r.pos > 0 {
		copy(r.buf, r.buf[r.pos:r.end])
		r.offset += int64(r.pos)
		r.end -= r.pos
		r.pos = 0
	}
	for r.end < len(r.buf) {
		n, err := r.zr.Read(r.buf[r.end:])
		r.end += n
		if err == io.EOF {
			r.eof = true
			return n > 0
		}
		if err != nil {
			r.err = r.readErr(err)
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	return true
}

// peek skips whitespace and returns the next byte without consuming it. A run of
// whitespace longer than MaxWhitespace is refused; it is counted once per buffer,
// not per byte.
func (r *lexer) peek() (byte, error) {
	ws := 0
	for {
		start := r.pos
		for r.pos < r.end {
			c := r.buf[r.pos]
			if c != ' ' && c != '\n' && c != '\r' && c != '\t' {
				return c, nil
			}
			r.pos++
		}
		if ws += r.pos - start; ws > MaxWhitespace {
			return 0, r.formatErr("more than %d bytes of whitespace in a row", MaxWhitespace)
		}
		if !r.fill() {
			return 0, r.formatErr("unexpected end of file")
		}
	}
}

func (r *lexer) expect(c byte) error {
	got, err := r.peek()
	if err != nil {
		return err
	}
	if got != c {
		return r.formatErr("expected %q, found %q", c, got)
	}
	r.pos++
	return nil
}

// openArray consumes the opening bracket of an array; what names the array in the
// error when something else stands there.
func (r *lexer) openArray(what string) error {
	c, err := r.peek()
	if err != nil {
		return err
	}
	if c != '[' {
		return r.formatErr("%s must be an array, found %s", what, jsonKind(c))
	}
	r.pos++
	return nil
}

// more handles the separator in an array or object: it returns false at the closing
// byte (consumed) and true when another element follows (after a comma if not first).
func (r *lexer) more(closing byte, first bool) (bool, error) {
	c, err := r.peek()
	if err != nil {
		return false, err
	}
	if c == closing {
		r.pos++
		return false, nil
	}
	if first {
		return true, nil
	}
	if c != ',' {
		return false, r.formatErr("expected ',' or %q, found %q", closing, c)
	}
	r.pos++
	return true, nil
}

// key reads an object key and the colon after it.
func (r *lexer) key() (string, error) {
	if err := r.expect('"'); err != nil {
		return "", err
	}
	b, err := r.readString(nil, DefaultMaxNameBytes)
	if errors.Is(err, errTooLong) {
		return "", r.formatErr("object key longer than %d bytes (starts with %q)", DefaultMaxNameBytes, prefix(b))
	}
	if err != nil {
		return "", err
	}
	if err := r.expect(':'); err != nil {
		return "", err
	}
	return string(b), nil
}

func (r *lexer) literal(s string) error {
	for i := 0; i < len(s); i++ {
		if r.pos >= r.end && !r.fill() {
			return r.formatErr("unexpected end of file")
		}
		if r.buf[r.pos] != s[i] {
			return r.formatErr("invalid literal, expected %q", s)
		}
		r.pos++
	}
	return nil
}

// The states of the JSON number grammar (RFC 8259): what the bytes read so far end
// with.
const (
	numStart     = iota // nothing yet
	numMinus            // the sign
	numInt              // a nonzero digit and more digits
	numDot              // the decimal point
	numFrac             // digits after the point
	numExp              // 'e' or 'E'
	numExpSign          // the exponent's sign
	numExpDigits        // the exponent's digits
	numZero             // a leading zero: only a point or an exponent may follow
	numStates           // how many there are

	numEnd = 0xff // the byte does not continue the number
)

// numberRules are the number grammar: for each state, the bytes that continue a
// number and the state each leads to. A byte not listed ends the number.
var numberRules = [numStates][]struct {
	bytes string
	next  int
}{
	numStart:     {{"-", numMinus}, {"0", numZero}, {"123456789", numInt}},
	numMinus:     {{"0", numZero}, {"123456789", numInt}},
	numInt:       {{"0123456789", numInt}, {".", numDot}, {"eE", numExp}},
	numDot:       {{"0123456789", numFrac}},
	numFrac:      {{"0123456789", numFrac}, {"eE", numExp}},
	numExp:       {{"+-", numExpSign}, {"0123456789", numExpDigits}},
	numExpSign:   {{"0123456789", numExpDigits}},
	numExpDigits: {{"0123456789", numExpDigits}},
	numZero:      {{".", numDot}, {"eE", numExp}},
}

// numberStep returns the state after byte c, or false when c does not continue the
// number.
func numberStep(state int, c byte) (int, bool) {
	for _, rule := range numberRules[state] {
		if strings.IndexByte(rule.bytes, c) >= 0 {
			return rule.next, true
		}
	}
	return state, false
}

// numberNext is numberStep as a table, numberNext[state][c], with numEnd where it
// returns false: number consults it for every byte, and a lookup is much cheaper
// than the call.
var numberNext = func() (t [numStates][256]uint8) {
	for state := range t {
		for c := range t[state] {
			next, ok := numberStep(state, byte(c))
			if !ok {
				next = numEnd
			}
			t[state][c] = uint8(next)
		}
	}
	return t
}()

// number appends a JSON number to dst (numbers are short).
func (r *lexer) number(dst []byte) ([]byte, error) {
	start := len(dst)
	state := uint8(numStart)
	for {
		if r.pos >= r.end && !r.fill() {
			if r.err != nil {
				return dst, r.err
			}
			break
		}
		c := r.buf[r.pos]
		next := numberNext[state][c]
		if next == numEnd {
			break
		}
		if len(dst)-start > 64 {
			return dst, r.formatErr("number too long")
		}
		state = next
		dst = append(dst, c)
		r.pos++
	}
	switch state {
	case numInt, numFrac, numExpDigits, numZero:
		return dst, nil
	}
	return dst, r.formatErr("invalid number (not in JSON's number syntax)")
}

// readString decodes a JSON string whose opening quote was consumed, appending its
// bytes to dst. Lone surrogates are refused; other text is taken as is and checked
// for UTF-8 validity by the caller that knows the column's type. A string longer
// than limit yields errTooLong, with no more than limit bytes appended and read
// past.
func (r *lexer) readString(dst []byte, limit int) ([]byte, error) {
	base := len(dst)
	for {
		i := r.pos
		for i < r.end {
			c := r.buf[i]
			if c == '"' || c == '\\' || c < 0x20 {
				break
			}
			i++
		}
		if len(dst)-base+i-r.pos > limit {
			// The bytes up to the limit are taken: a caller may go on from there.
			take := max(0, limit-(len(dst)-base))
			dst = append(dst, r.buf[r.pos:r.pos+take]...)
			r.pos += take
			return dst, errTooLong
		}
		if cap(dst)-len(dst) < i-r.pos {
			dst = grow(dst, i-r.pos, base+limit)
		}
		dst = append(dst, r.buf[r.pos:i]...)
		r.pos = i
		if r.pos >= r.end {
			if !r.fill() {
				return dst, r.formatErr("unexpected end of file inside a string")
			}
			continue
		}
		c := r.buf[r.pos]
		r.pos++
		switch {
		case c == '"':
			return dst, nil
		case c < 0x20:
			return dst, r.formatErr("control character 0x%02x inside a string", c)
		}
		var err error
		if dst, err = r.escape(dst); err != nil {
			return dst, err
		}
	}
}

// escape decodes the escape sequence after a backslash (consumed) inside a string,
// appending what it stands for to dst.
func (r *lexer) escape(dst []byte) ([]byte, error) {
	if r.pos >= r.end && !r.fill() {
		return dst, r.formatErr("unexpected end of file inside a string")
	}
	e := r.buf[r.pos]
	r.pos++
	switch e {
	case '"', '\\', '/':
		return append(dst, e), nil
	case 'b':
		return append(dst, '\b'), nil
	case 'f':
		return append(dst, '\f'), nil
	case 'n':
		return append(dst, '\n'), nil
	case 'r':
		return append(dst, '\r'), nil
	case 't':
		return append(dst, '\t'), nil
	case 'u':
		return r.unicodeEscape(dst)
	}
	return dst, r.formatErr("invalid escape \\%c in a string", e)
}

// unicodeEscape decodes the four hex digits after \u and, for a UTF-16 surrogate,
// the \u escape of its other half, appending the character as UTF-8 to dst.
func (r *lexer) unicodeEscape(dst []byte) ([]byte, error) {
	cp, err := r.hex4()
	if err != nil {
		return dst, err
	}
	if utf16.IsSurrogate(cp) {
		if !r.consume('\\') || !r.consume('u') {
			return dst, r.formatErr("unpaired UTF-16 surrogate in a string")
		}
		lo, err := r.hex4()
		if err != nil {
			return dst, err
		}
		cp = utf16.DecodeRune(cp, lo)
		if cp == utf8.RuneError {
			return dst, r.formatErr("invalid UTF-16 surrogate pair in a string")
		}
	}
	return utf8.AppendRune(dst, cp), nil
}

// grow makes room for n more bytes in b, doubling its capacity but never past
// limit (the most b may hold), so that a huge value leaves less garbage behind than
// append's own growth would.
func grow(b []byte, n, limit int) []byte {
	c := max(2*cap(b), len(b)+n, 4096)
	if c > limit {
		c = max(limit, len(b)+n)
	}
	nb := make([]byte, len(b), c)
	copy(nb, b)
	return nb
}

// consume takes the next byte if it is c.
func (r *lexer) consume(c byte) bool {
	if r.pos >= r.end && !r.fill() {
		return false
	}
	if r.buf[r.pos] != c {
		return false
	}
	r.pos++
	return true
}

func (r *lexer) hex4() (rune, error) {
	var v rune
	for i := 0; i < 4; i++ {
		if r.pos >= r.end && !r.fill() {
			return 0, r.formatErr("unexpected end of file in a \\u escape")
		}
		c := r.buf[r.pos]
		if !isHex(c) {
			return 0, r.formatErr("invalid \\u escape")
		}
		v = v<<4 | rune(unhex(c))
		r.pos++
	}
	return v, nil
}

// skipString scans past a string whose opening quote was consumed. Skipped values
// are mostly attachments' base64, so it looks for quotes with bytes.IndexByte, in
// one pass: a quote ends the string unless an odd run of backslashes stands right
// before it (a backslash escapes the next byte; \uXXXX digits are plain bytes).
// Finding each backslash as well took a second pass over every byte. A string
// longer than limit yields errTooLong: it is not kept, but scanning it is not
// free either.
func (r *lexer) skipString(limit int) error {
	n := 0       // bytes scanned before r.pos
	slashes := 0 // backslashes in a row right before r.pos
	for {
		seg := r.buf[r.pos:r.end]
		for from := 0; ; {
			q := bytes.IndexByte(seg[from:], '"')
			if q < 0 {
				break
			}
			q += from
			k := backslashesBefore(seg, q)
			if k == q {
				k += slashes // the run goes on from the bytes before seg
			}
			if k%2 == 0 {
				if n+q > limit {
					return errTooLong
				}
				r.pos += q + 1
				return nil
			}
			from = q + 1
		}
		if k := backslashesBefore(seg, len(seg)); k == len(seg) {
			slashes += k
		} else {
			slashes = k
		}
		if n += len(seg); n > limit {
			return errTooLong
		}
		r.pos = r.end
		if !r.fill() {
			return r.formatErr("unexpected end of file inside a string")
		}
	}
}

// backslashesBefore counts the backslashes in a row that end b[:i].
func backslashesBefore(b []byte, i int) int {
	k := 0
	for k < i && b[i-1-k] == '\\' {
		k++
	}
	return k
}
