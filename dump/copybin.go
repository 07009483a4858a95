package dump

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Binary COPY moves a table's bytea values to PostgreSQL as they are, where the
// text format doubles them into hex that the server then parses back: for a
// table of attachments, half the bytes on the wire and no hex on either side.
// It needs every column in its type's binary form, so it is used only where
// every column's type is one of those below; a value whose text form these
// encoders do not know exactly (say, a timestamp written BC) makes the caller
// finish the table in text format, where PostgreSQL parses it as ever.

// BinaryType is how a column's values are written in binary COPY.
type BinaryType uint8

// The column types binary COPY is used for. BinaryNone: any other type.
const (
	BinaryNone BinaryType = iota
	BinaryInt2
	BinaryInt4
	BinaryInt8
	BinaryBool
	BinaryText // text, varchar and json: the UTF-8 bytes
	BinaryJSONB
	BinaryBytea
	BinaryDate
	BinaryTimestamp
	BinaryTimestamptz
)

// BinaryTypeOf is the binary COPY form of a PostgreSQL type as format_type()
// prints it.
func BinaryTypeOf(pgType string) BinaryType {
	t := strings.TrimSpace(pgType)
	switch t {
	case "smallint":
		return BinaryInt2
	case "integer":
		return BinaryInt4
	case "bigint":
		return BinaryInt8
	case "boolean":
		return BinaryBool
	case "text", "character varying", "json":
		return BinaryText
	case "jsonb":
		return BinaryJSONB
	case "bytea":
		return BinaryBytea
	case "date":
		return BinaryDate
	case "timestamp without time zone":
		return BinaryTimestamp
	case "timestamp with time zone":
		return BinaryTimestamptz
	}
	if strings.HasPrefix(t, "character varying(") {
		return BinaryText // the length limit is checked by the server as in text format
	}
	return BinaryNone
}

// CopyBinaryHeader starts a binary COPY stream: signature, flags, no extension.
var CopyBinaryHeader = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

// CopyBinaryTrailer ends a binary COPY stream.
var CopyBinaryTrailer = []byte{0xff, 0xff}

// ErrNotBinary says a value's text form is not one the binary encoders know
// exactly; the caller writes it in text format instead.
var ErrNotBinary = errors.New("value has no exact binary form here")

// AppendBinaryRowStart begins a row of n fields.
func AppendBinaryRowStart(dst []byte, n int) []byte {
	return binary.BigEndian.AppendUint16(dst, uint16(n))
}

// AppendBinaryNull appends a NULL field.
func AppendBinaryNull(dst []byte) []byte {
	return binary.BigEndian.AppendUint32(dst, math.MaxUint32)
}

// AppendBinaryRaw appends a field holding raw bytes: a bytea value, or a text
// value already checked.
func AppendBinaryRaw(dst, raw []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(raw)))
	return append(dst, raw...)
}

// AppendBinaryBase64 appends a bytea field from its base64 form in a dump.
func AppendBinaryBase64(dst, b64 []byte) ([]byte, error) {
	at := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	n := base64.StdEncoding.DecodedLen(len(b64))
	dst = slices.Grow(dst, n)[:len(dst)+n]
	m, err := base64.StdEncoding.Decode(dst[at+4:at+4+n], b64)
	if err != nil {
		return dst[:at], fmt.Errorf("bytea value is not valid base64: %w", err)
	}
	dst = dst[:at+4+m]
	binary.BigEndian.PutUint32(dst[at:], uint32(m))
	return dst, nil
}

// AppendBinaryValue appends a field of type t from a dump value. A value whose
// text form has no exact binary form here returns ErrNotBinary; an invalid
// text value returns the same error text format would.
func AppendBinaryValue(dst []byte, t BinaryType, v Value) ([]byte, error) {
	switch v.Type {
	case Null:
		return AppendBinaryNull(dst), nil
	case Bool:
		if t == BinaryBool {
			return append(binary.BigEndian.AppendUint32(dst, 1), b2u(v.Bool)), nil
		}
		return AppendBinaryText(dst, t, []byte{"ft"[b2u(v.Bool)]})
	}
	if t == BinaryBytea {
		if v.Type != String {
			return dst, ErrNotBinary
		}
		return AppendBinaryBase64(dst, v.Data)
	}
	return AppendBinaryText(dst, t, v.Data)
}

// AppendBinaryText appends a field of type t from the value's PostgreSQL text
// form (what COPY text format would carry, unescaped).
func AppendBinaryText(dst []byte, t BinaryType, s []byte) ([]byte, error) {
	switch t {
	case BinaryText, BinaryJSONB:
		if err := checkText(s); err != nil {
			return dst, err
		}
		if t == BinaryJSONB {
			dst = binary.BigEndian.AppendUint32(dst, uint32(len(s)+1))
			return append(append(dst, 1), s...), nil // jsonb's binary format version 1
		}
		return AppendBinaryRaw(dst, s), nil
	case BinaryInt2, BinaryInt4, BinaryInt8:
		return appendBinaryInt(dst, t, s)
	case BinaryBool:
		switch string(s) {
		case "t":
			return append(binary.BigEndian.AppendUint32(dst, 1), 1), nil
		case "f":
			return append(binary.BigEndian.AppendUint32(dst, 1), 0), nil
		}
	case BinaryDate:
		if d, ok := parseDate(s); ok {
			return binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(dst, 4), uint32(d)), nil
		}
	case BinaryTimestamp, BinaryTimestamptz:
		if us, ok := parseTimestamp(s, t == BinaryTimestamptz); ok {
			return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint32(dst, 8), uint64(us)), nil
		}
	}
	return dst, ErrNotBinary
}

// checkText refuses what PostgreSQL's text cannot hold, with text format's words.
func checkText(s []byte) error {
	if !utf8.Valid(s) {
		return fmt.Errorf("invalid UTF-8 in a text value")
	}
	for _, c := range s {
		if c == 0 {
			return fmt.Errorf("NUL byte in a text value (PostgreSQL text cannot hold it)")
		}
	}
	return nil
}

func b2u(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// appendBinaryInt writes a decimal integer (an optional minus sign and digits,
// nothing else) in the column's width.
func appendBinaryInt(dst []byte, t BinaryType, s []byte) ([]byte, error) {
	neg := len(s) > 0 && s[0] == '-'
	digits := s
	if neg {
		digits = s[1:]
	}
	if len(digits) == 0 || len(digits) > 19 {
		return dst, ErrNotBinary
	}
	var u uint64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return dst, ErrNotBinary
		}
		u = u*10 + uint64(c-'0')
	}
	var lo, hi int64 = math.MinInt64, math.MaxInt64
	switch t {
	case BinaryInt2:
		lo, hi = math.MinInt16, math.MaxInt16
	case BinaryInt4:
		lo, hi = math.MinInt32, math.MaxInt32
	}
	if u > uint64(hi)+uint64(b2u(neg)) {
		return dst, ErrNotBinary // out of range: text format reports it
	}
	n := int64(u)
	if neg {
		n = -n
	}
	if n < lo || n > hi {
		return dst, ErrNotBinary
	}
	switch t {
	case BinaryInt2:
		return binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint32(dst, 2), uint16(n)), nil
	case BinaryInt4:
		return binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(dst, 4), uint32(n)), nil
	}
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint32(dst, 8), uint64(n)), nil
}

// pgEpoch is PostgreSQL's zero for dates and timestamps.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// parseInfinity reads PostgreSQL's "infinity" and "-infinity" of dates and
// timestamps, which the binary format writes as the largest and the smallest
// value of the type: largest and -largest-1.
func parseInfinity[T int32 | int64](s []byte, largest T) (T, bool) {
	switch string(s) {
	case "infinity":
		return largest, true
	case "-infinity":
		return -largest - 1, true
	}
	return 0, false
}

// parseDate reads YYYY-MM-DD (ISO, four or more digits of year, AD) or
// ±infinity as days since 2000-01-01.
func parseDate(s []byte) (int32, bool) {
	if v, ok := parseInfinity[int32](s, math.MaxInt32); ok {
		return v, true
	}
	d, rest, ok := parseYMD(s)
	if !ok || len(rest) != 0 {
		return 0, false
	}
	return int32((d.Unix() - pgEpoch.Unix()) / 86400), true
}

// parseTimestamp reads "YYYY-MM-DD HH:MM:SS[.ffffff]" followed, with a time
// zone, by "+HH[:MM[:SS]]" or "-…" — the ISO form COPY writes — or ±infinity,
// as microseconds since 2000-01-01 00:00:00 UTC.
func parseTimestamp(s []byte, zone bool) (int64, bool) {
	if v, ok := parseInfinity[int64](s, math.MaxInt64); ok {
		return v, true
	}
	d, rest, ok := parseYMD(s)
	if !ok {
		return 0, false
	}
	secs, rest, ok := parseHMS(rest)
	if !ok {
		return 0, false
	}
	micro, rest, ok := parseFraction(rest)
	if !ok {
		return 0, false
	}
	var offset int64
	if zone {
		if offset, ok = parseOffset(rest); !ok {
			return 0, false
		}
	} else if len(rest) != 0 {
		return 0, false
	}
	return (d.Unix()-pgEpoch.Unix()+secs-offset)*1_000_000 + micro, true
}

// parseHMS reads " HH:MM:SS" as seconds into the day.
func parseHMS(s []byte) (int64, []byte, bool) {
	if len(s) < 9 || s[0] != ' ' || s[3] != ':' || s[6] != ':' {
		return 0, nil, false
	}
	h, ok1 := two(s[1:3])
	m, ok2 := two(s[4:6])
	sec, ok3 := two(s[7:9])
	if !ok1 || !ok2 || !ok3 || h > 23 || m > 59 || sec > 59 {
		return 0, nil, false
	}
	return int64(h)*3600 + int64(m)*60 + int64(sec), s[9:], true
}

// parseFraction reads an optional ".f" of one to six digits as microseconds.
func parseFraction(s []byte) (int64, []byte, bool) {
	if len(s) == 0 || s[0] != '.' {
		return 0, s, true
	}
	i := 1
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
	}
	frac := s[1:i]
	if len(frac) == 0 || len(frac) > 6 {
		return 0, nil, false
	}
	var micro int64
	for j := range 6 {
		micro *= 10
		if j < len(frac) {
			micro += int64(frac[j] - '0')
		}
	}
	return micro, s[i:], true
}

// parseYMD reads YYYY-MM-DD at the start of s (a year of four or more digits).
func parseYMD(s []byte) (time.Time, []byte, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i < 4 || i > 6 || len(s) < i+6 || s[i] != '-' || s[i+3] != '-' {
		return time.Time{}, nil, false
	}
	y := 0
	for _, c := range s[:i] {
		y = y*10 + int(c-'0')
	}
	mo, ok1 := two(s[i+1 : i+3])
	d, ok2 := two(s[i+4 : i+6])
	if !ok1 || !ok2 || y < 1 || mo < 1 || mo > 12 || d < 1 {
		return time.Time{}, nil, false
	}
	t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d { // February 30th and the like: text format reports it
		return time.Time{}, nil, false
	}
	return t, s[i+6:], true
}

// parseOffset reads a time zone offset "+HH", "+HH:MM" or "+HH:MM:SS" (or "-…")
// as seconds east of UTC.
func parseOffset(s []byte) (int64, bool) {
	if len(s) != 3 && len(s) != 6 && len(s) != 9 || (s[0] != '+' && s[0] != '-') {
		return 0, false
	}
	var total int64
	for i, mul := 1, int64(3600); i < len(s); i, mul = i+3, mul/60 {
		if i > 1 && s[i-1] != ':' {
			return 0, false
		}
		v, ok := two(s[i : i+2])
		if !ok || (i > 1 && v > 59) {
			return 0, false
		}
		total += int64(v) * mul
	}
	if s[0] == '-' {
		total = -total
	}
	return total, true
}

func two(s []byte) (int, bool) {
	if len(s) != 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return 0, false
	}
	return int(s[0]-'0')*10 + int(s[1]-'0'), true
}
