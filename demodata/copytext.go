package demodata

import (
	"strconv"
)

// COPY's text format
// (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.2): one
// line per row, values separated by tabs, \N for NULL, and backslash escapes for
// backslash, tab, newline and carriage return. Each value method appends the
// value and a tab; endRow turns the last tab into a newline.

func (rw *rowWriter) null() { rw.buf = append(rw.buf, '\\', 'N', '\t') }

func (rw *rowWriter) int(v int64) { rw.buf = append(strconv.AppendInt(rw.buf, v, 10), '\t') }

// intOrNull writes v, or NULL when v is 0 (ids start at 1).
func (rw *rowWriter) intOrNull(v int64) { nullIfZero(v, rw.null, rw.int) }

func (rw *rowWriter) bool(v bool) {
	if v {
		rw.buf = append(rw.buf, 't', '\t')
	} else {
		rw.buf = append(rw.buf, 'f', '\t')
	}
}

// raw writes s unescaped; only for values known to hold no special characters.
func (rw *rowWriter) raw(s string) { rw.buf = append(append(rw.buf, s...), '\t') }

func (rw *rowWriter) text(s string) { rw.buf = append(appendEscaped(rw.buf, s), '\t') }

func (rw *rowWriter) textBytes(b []byte) { rw.buf = append(appendEscaped(rw.buf, b), '\t') }

// ts writes a timestamptz given as microseconds since the Unix epoch (UTC).
func (rw *rowWriter) ts(us int64) { rw.buf = append(appendTimestamp(rw.buf, us), '\t') }

// tsOrNull writes NULL for 0.
func (rw *rowWriter) tsOrNull(us int64) { nullIfZero(us, rw.null, rw.ts) }

// date writes a date given as days since the Unix epoch.
func (rw *rowWriter) date(days int64) {
	y, m, d := civil(days)
	rw.buf = append(appendDate(rw.buf, y, m, d), '\t')
}

// nullIfZero writes v with write, or NULL with null when v is 0, which stands for
// "none" among the generated ids (they start at 1) and times, in both COPY
// formats.
func nullIfZero(v int64, null func(), write func(int64)) {
	if v == 0 {
		null()
		return
	}
	write(v)
}

// textArray writes a one-dimensional text[] literal, quoting every element (which
// is always allowed) and escaping it for both the array and the COPY layer.
func (rw *rowWriter) textArray(elems []string) {
	rw.buf = append(rw.buf, '{')
	for i, e := range elems {
		if i > 0 {
			rw.buf = append(rw.buf, ',')
		}
		rw.buf = append(rw.buf, '"')
		for j := 0; j < len(e); j++ {
			c := e[j]
			if c == '"' || c == '\\' {
				// Array-level backslash, itself escaped for COPY.
				rw.buf = append(rw.buf, '\\', '\\')
			}
			rw.buf = appendEscapedByte(rw.buf, c)
		}
		rw.buf = append(rw.buf, '"')
	}
	rw.buf = append(rw.buf, '}', '\t')
}

// endRow terminates the row and flushes the buffer when it is full.
func (rw *rowWriter) endRow() error {
	rw.buf[len(rw.buf)-1] = '\n'
	rw.rows++
	if len(rw.buf) >= flushSize {
		return rw.flush()
	}
	return nil
}

// copyEscapes holds, for each byte COPY's text format treats specially, the
// letter that follows the backslash in its escape; 0 for every other byte.
var copyEscapes = [256]byte{'\\': '\\', '\t': 't', '\n': 'n', '\r': 'r'}

// appendEscaped escapes the characters COPY's text format treats specially:
// backslash, tab, newline and carriage return.
func appendEscaped[S string | []byte](dst []byte, s S) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if copyEscapes[c] == 0 {
			continue
		}
		dst = append(dst, s[start:i]...)
		dst = appendEscapedByte(dst, c)
		start = i + 1
	}
	return append(dst, s[start:]...)
}

func appendEscapedByte(dst []byte, c byte) []byte {
	if e := copyEscapes[c]; e != 0 {
		return append(dst, '\\', e)
	}
	return append(dst, c)
}

// appendTimestamp formats microseconds since the epoch as
// "2026-11-25 13:14:15.123456+00".
func appendTimestamp(dst []byte, us int64) []byte {
	secs := floorDiv(us, 1e6)
	frac := us - secs*1e6
	days := floorDiv(secs, 86400)
	sod := secs - days*86400
	y, m, d := civil(days)
	dst = appendDate(dst, y, m, d)
	dst = append(dst, ' ')
	dst = append2(dst, int(sod/3600))
	dst = append(dst, ':')
	dst = append2(dst, int(sod/60%60))
	dst = append(dst, ':')
	dst = append2(dst, int(sod%60))
	dst = append(dst, '.')
	f := int(frac)
	dst = append(dst, byte('0'+f/100000), byte('0'+f/10000%10), byte('0'+f/1000%10),
		byte('0'+f/100%10), byte('0'+f/10%10), byte('0'+f%10))
	return append(dst, '+', '0', '0')
}

func appendDate(dst []byte, y, m, d int) []byte {
	dst = append(dst, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-')
	dst = append2(dst, m)
	dst = append(dst, '-')
	return append2(dst, d)
}

func append2(dst []byte, v int) []byte { return append(dst, byte('0'+v/10), byte('0'+v%10)) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// civil converts days since 1970-01-01 to a proleptic Gregorian date (Howard
// Hinnant's algorithm), avoiding time.Time on the hot path.
func civil(days int64) (y, m, d int) {
	z := days + 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	yy := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	dd := doy - (153*mp+2)/5 + 1
	mm := mp + 3
	if mm > 12 {
		mm -= 12
	}
	if mm <= 2 {
		yy++
	}
	return int(yy), int(mm), int(dd)
}
