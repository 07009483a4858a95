package anonymizer

import (
	"bytes"
	"errors"
)

// errArray is the refusal of a value that is not a PostgreSQL array literal.
var errArray = errors.New("not a PostgreSQL array literal")

// scrubArray rewrites a PostgreSQL array literal ({a,"b c",NULL}, nested or with a
// [1:2]= dimension prefix) with every element passed through fn and written back
// quoted, so that a replacement can never break the literal.
func scrubArray(dst, src []byte, fn func(dst, elem []byte) []byte) ([]byte, error) {
	src = bytes.TrimSpace(src)
	i := 0
	if len(src) > 0 && src[0] == '[' {
		eq := bytes.IndexByte(src, '=')
		if eq < 0 {
			return dst, errArray
		}
		dst = append(dst, src[:eq+1]...)
		i = eq + 1
	}
	if i >= len(src) || src[i] != '{' {
		return dst, errArray
	}
	var elem, out []byte
	depth := 0
	for ; i < len(src); i++ {
		switch c := src[i]; {
		case c == '{':
			depth++
			dst = append(dst, c)
		case c == '}' || c == ',':
			if c == '}' {
				depth--
			}
			dst = append(dst, c)
			if depth == 0 {
				if i != len(src)-1 {
					return dst, errArray
				}
				return dst, nil
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		case c == '"':
			var err error
			if elem, i, err = quotedElement(elem[:0], src, i+1); err != nil {
				return dst, err
			}
			out = fn(out[:0], elem)
			dst = appendQuoted(dst, out)
		default:
			var null bool
			elem, i, null = plainElement(elem[:0], src, i)
			if null {
				dst = append(dst, "NULL"...)
			} else {
				out = fn(out[:0], elem)
				dst = appendQuoted(dst, out)
			}
		}
	}
	return dst, errArray
}

// quotedElement reads a quoted element whose opening quote is just before i, and
// returns it with the index of its closing quote.
func quotedElement(dst, src []byte, i int) ([]byte, int, error) {
	for ; i < len(src); i++ {
		switch c := src[i]; c {
		case '\\':
			if i+1 >= len(src) {
				return dst, i, errArray
			}
			i++
			dst = append(dst, src[i])
		case '"':
			return dst, i, nil
		default:
			dst = append(dst, c)
		}
	}
	return dst, i, errArray
}

// plainElement reads an unquoted element starting at i and returns it, the index
// of its last byte, and whether it is NULL.
func plainElement(dst, src []byte, i int) ([]byte, int, bool) {
	escaped := false
	for ; i < len(src) && src[i] != ',' && src[i] != '}'; i++ {
		if src[i] == '\\' && i+1 < len(src) {
			i++
			escaped = true
		}
		dst = append(dst, src[i])
	}
	dst = bytes.TrimRight(dst, " \t\r\n")
	return dst, i - 1, !escaped && bytes.EqualFold(dst, []byte("NULL"))
}

// appendQuoted writes an element quoted.
func appendQuoted(dst, elem []byte) []byte {
	dst = append(dst, '"')
	for _, c := range elem {
		if c == '"' || c == '\\' {
			dst = append(dst, '\\')
		}
		dst = append(dst, c)
	}
	return append(dst, '"')
}
