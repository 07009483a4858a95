package dump

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"unicode/utf8"
)

// AppendCopy appends v to dst in PostgreSQL's COPY text format, for a column whose
// values are encoded as k. It checks what PostgreSQL would otherwise reject with a
// less helpful message: invalid UTF-8, NUL bytes, bad base64.
func AppendCopy(dst []byte, v Value, k Kind) ([]byte, error) {
	switch v.Type {
	case Null:
		return append(dst, '\\', 'N'), nil
	case Number:
		return append(dst, v.Data...), nil
	case Bool:
		if v.Bool {
			return append(dst, 't'), nil
		}
		return append(dst, 'f'), nil
	}
	if k == KindBytea {
		return appendBase64AsCopyHex(dst, v.Data)
	}
	if !utf8.Valid(v.Data) {
		return dst, fmt.Errorf("invalid UTF-8 in a text value")
	}
	return AppendCopyText(dst, v.Data)
}

// AppendCopyText appends raw text bytes as a COPY text field.
func AppendCopyText(dst, s []byte) ([]byte, error) {
	for i := 0; i < len(s); {
		start := i
		for i < len(s) && s[i] != '\\' && s[i] >= 0x20 {
			i++
		}
		dst = append(dst, s[start:i]...)
		if i >= len(s) {
			break
		}
		switch c := s[i]; c {
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case 0:
			return dst, fmt.Errorf("NUL byte in a text value (PostgreSQL text cannot hold it)")
		default:
			dst = append(dst, c)
		}
		i++
	}
	return dst, nil
}

// AppendCopyBytea appends raw bytes as a COPY text bytea field (\\x + hex).
func AppendCopyBytea(dst, raw []byte) []byte {
	dst = append(dst, '\\', '\\', 'x')
	return hex.AppendEncode(dst, raw)
}

func appendBase64AsCopyHex(dst, b64 []byte) ([]byte, error) {
	dst = append(dst, '\\', '\\', 'x')
	const chunk = 4 * 4096
	var raw [3 * 4096]byte
	for len(b64) > 0 {
		n := min(len(b64), chunk)
		m, err := base64.StdEncoding.Decode(raw[:], b64[:n])
		if err != nil {
			return dst, fmt.Errorf("bytea value is not valid base64: %w", err)
		}
		dst = hex.AppendEncode(dst, raw[:m])
		b64 = b64[n:]
	}
	return dst, nil
}
