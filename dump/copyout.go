package dump

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
)

// A table of binary values is exported from binary COPY (COPY … TO STDOUT
// (FORMAT binary)): PostgreSQL sends bytea as it is, where text format sends it
// twice as long in hex, and the writer base64-encodes it without decoding hex.
// The other columns come as text the server formatted: text types as they are,
// integers and booleans in their binary form, and date and time types cast to
// text in the query, which formats them as COPY text format would. A bytea value
// too large to hold comfortably is left out of its row and fetched in chunks
// (large.go).

// binaryOut is how a column arrives in binary COPY output.
type binaryOut uint8

const (
	outText binaryOut = iota + 1 // text bytes: text, varchar, json, or a ::text cast
	outJSONB
	outInt2
	outInt4
	outInt8
	outBool
	outBytea
)

// BinaryExportSelect is the select list for exporting a table in binary COPY
// format (each entry an already quoted identifier, cast where needed), or nil
// when a column's type has no exact text form through binary COPY here.
//
// A bytea value longer than large bytes is left out of its row (NULL in its
// column), so that neither PostgreSQL's message nor this process ever holds it
// whole: after the table's columns the list has, per bytea column, the length of
// such a value (NULL for the others), then the row's ctid, for the TableWriter's
// Large to fetch the value in chunks. octet_length does not detoast a value, so
// the rows cost no more to read than before.
func BinaryExportSelect(cols []Column, idents []string, large int64) []string {
	out := make([]string, len(cols), len(cols)+1)
	var lengths []string
	limit := strconv.FormatInt(large, 10)
	for i, c := range cols {
		switch exportForm(c.Type) {
		case 0:
			return nil
		case outText:
			if BinaryTypeOf(c.Type) == BinaryText {
				out[i] = idents[i]
				continue
			}
			out[i] = idents[i] + "::text" // date and time types: their output function
		case outBytea:
			out[i] = "CASE WHEN octet_length(" + idents[i] + ") <= " + limit + " THEN " + idents[i] + " END"
			lengths = append(lengths, "CASE WHEN octet_length("+idents[i]+") > "+limit+" THEN octet_length("+idents[i]+") END")
		default:
			out[i] = idents[i]
		}
	}
	if lengths != nil {
		out = append(append(out, lengths...), "ctid")
	}
	return out
}

// exportForm is how a column of type pgType is read from binary COPY output.
func exportForm(pgType string) binaryOut {
	switch BinaryTypeOf(pgType) {
	case BinaryText, BinaryDate, BinaryTimestamp, BinaryTimestamptz:
		return outText
	case BinaryJSONB:
		return outJSONB
	case BinaryInt2:
		return outInt2
	case BinaryInt4:
		return outInt4
	case BinaryInt8:
		return outInt8
	case BinaryBool:
		return outBool
	case BinaryBytea:
		return outBytea
	}
	return 0
}

// BeginBinaryTable starts a table whose rows come as binary COPY output of the
// select list BinaryExportSelect made for cols. Set the TableWriter's Large
// before the first row that leaves a value out.
func (w *Writer) BeginBinaryTable(name string, cols []Column) (*TableWriter, error) {
	bin := make([]binaryOut, len(cols))
	lengthAt := make([]int, len(cols))
	width := len(cols)
	for i, c := range cols {
		bin[i] = exportForm(c.Type)
		if bin[i] == 0 {
			return nil, fmt.Errorf("table %q column %q: type %s has no binary export form", name, c.Name, c.Type)
		}
		lengthAt[i] = -1
		if bin[i] == outBytea {
			lengthAt[i] = width
			width++
		}
	}
	tw, err := w.BeginTable(name, cols)
	if err != nil {
		return nil, err
	}
	tw.bin, tw.lengthAt, tw.width = bin, lengthAt, width
	if width > len(cols) {
		tw.width++ // the ctid
	}
	tw.cut.binary, tw.cut.width = true, tw.width
	return tw, nil
}

var binarySignature = []byte("PGCOPY\n\xff\r\n\x00")

// binaryRow writes one complete row of binary COPY fields as a JSON row; the
// fields after the table's columns (see BinaryExportSelect) are not written.
func (t *TableWriter) binaryRow(p []byte) error {
	fields := t.fields[:0]
	for range t.width {
		l := int32(binary.BigEndian.Uint32(p))
		p = p[4:]
		if l < 0 {
			fields = append(fields, nil)
			continue
		}
		fields = append(fields, p[:l:l]) // not nil, even when empty
		p = p[l:]
	}
	t.fields = fields
	b := t.buf[:0]
	if t.rows > 0 {
		b = append(b, ",\n["...)
	} else {
		b = append(b, '[')
	}
	for col, form := range t.bin {
		if col > 0 {
			b = append(b, ',')
		}
		var err error
		switch f := fields[col]; {
		case t.lengthAt[col] >= 0 && fields[t.lengthAt[col]] != nil:
			if f != nil {
				return fmt.Errorf("table %q row %d column %d: both a value and a length to fetch", t.name, t.rows+1, col+1)
			}
			b, err = t.largeBytea(b, fields[len(fields)-1], col, fields[t.lengthAt[col]])
		case f == nil:
			b = append(b, "null"...)
		default:
			b, err = t.binaryField(b, f, form)
		}
		if err != nil {
			return fmt.Errorf("table %q row %d column %d: %w", t.name, t.rows+1, col+1, err)
		}
	}
	b = append(b, ']')
	_, err := t.w.bw.Write(b)
	if cap(b) > 4*flushAt {
		b = nil
	}
	t.buf = b
	t.rows++
	return err
}

func (t *TableWriter) binaryField(b, f []byte, form binaryOut) ([]byte, error) {
	switch form {
	case outText:
		return appendJSONString(b, f), nil
	case outJSONB:
		if len(f) == 0 || f[0] != 1 {
			return b, fmt.Errorf("unknown jsonb binary version")
		}
		return appendJSONString(b, f[1:]), nil
	case outInt2, outInt4, outInt8:
		var n int64
		switch {
		case form == outInt2 && len(f) == 2:
			n = int64(int16(binary.BigEndian.Uint16(f)))
		case form == outInt4 && len(f) == 4:
			n = int64(int32(binary.BigEndian.Uint32(f)))
		case form == outInt8 && len(f) == 8:
			n = int64(binary.BigEndian.Uint64(f))
		default:
			return b, fmt.Errorf("integer of %d bytes", len(f))
		}
		return strconv.AppendInt(b, n, 10), nil
	case outBool:
		if len(f) != 1 {
			return b, fmt.Errorf("boolean of %d bytes", len(f))
		}
		return strconv.AppendBool(b, f[0] != 0), nil
	}
	return t.rawBytea(b, f)
}

// rawBytea writes raw bytes as a base64 JSON string.
func (t *TableWriter) rawBytea(b, raw []byte) ([]byte, error) {
	b, err := t.appendBase64(append(b, '"'), raw)
	return append(b, '"'), err
}

// appendBase64 appends raw bytes in base64, in chunks, handing encoded bytes on
// whenever they pile up. Only the end of raw may be padded: raw must be a
// multiple of 3 bytes long unless it ends the value.
func (t *TableWriter) appendBase64(b, raw []byte) ([]byte, error) {
	const chunk = 3 * 16384 // whole base64 groups
	for len(raw) > 0 {
		n := min(len(raw), chunk)
		b = base64.StdEncoding.AppendEncode(b, raw[:n])
		raw = raw[n:]
		if len(b) >= flushAt {
			if _, err := t.w.bw.Write(b); err != nil {
				return b, err
			}
			b = b[:0]
		}
	}
	return b, nil
}
