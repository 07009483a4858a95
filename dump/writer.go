package dump

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/klauspost/compress/gzip"
)

// DefaultLevel is the gzip level of exports: fast, since most of a dump's bytes are
// attachments that compress poorly anyway.
const DefaultLevel = gzip.BestSpeed

// flushAt is how many encoded bytes a row may collect before they are handed to the
// compressor, so that a huge value never sits in memory twice.
const flushAt = 256 << 10

// Writer writes a dump. Call BeginTable for each table, feed the table's COPY text
// output to the returned TableWriter, close it, and Close the Writer at the end.
type Writer struct {
	zw     *gzipWriter
	bw     *bufio.Writer
	tables int
	open   *TableWriter
	err    error
}

// NewWriter writes the gzip stream and the header to out. level is a gzip level
// (0 means DefaultLevel). The dump is compressed on GOMAXPROCS goroutines of its
// own, at most 4 (gzipWriter); Close or Abort stops them.
func NewWriter(out io.Writer, h Header, level int) (*Writer, error) {
	if level == 0 {
		level = DefaultLevel
	}
	zw, err := newGzipWriter(out, level, 0)
	if err != nil {
		return nil, fmt.Errorf("gzip writer: %w", err)
	}
	w := &Writer{zw: zw, bw: bufio.NewWriterSize(zw, 256<<10)}
	var b []byte
	b = append(b, `{"schema_version":`...)
	b = strconv.AppendInt(b, int64(h.SchemaVersion), 10)
	b = append(b, `,"app":`...)
	b = appendJSONString(b, []byte(h.App))
	b = append(b, `,"source_host":`...)
	b = appendJSONString(b, []byte(h.SourceHost))
	b = append(b, `,"exported_at":"`...)
	b = h.ExportedAt.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","include_attachments":`...)
	b = strconv.AppendBool(b, h.IncludeAttachments)
	if h.RowsEstimate > 0 {
		b = append(b, `,"rows_estimate":`...)
		b = strconv.AppendInt(b, h.RowsEstimate, 10)
	}
	b = append(b, ",\"tables\":[\n"...)
	if _, err := w.bw.Write(b); err != nil {
		zw.Abort()
		return nil, fmt.Errorf("write header: %w", err)
	}
	return w, nil
}

// BeginTable starts a table. The previous table must be closed.
func (w *Writer) BeginTable(name string, cols []Column) (*TableWriter, error) {
	if w.err != nil {
		return nil, w.err
	}
	if w.open != nil {
		return nil, errors.New("dump writer: previous table not closed")
	}
	var b []byte
	if w.tables > 0 {
		b = append(b, ",\n"...)
	}
	b = append(b, `{"name":`...)
	b = appendJSONString(b, []byte(name))
	cj, err := json.Marshal(cols)
	if err != nil {
		return nil, fmt.Errorf("encode columns: %w", err)
	}
	if cols == nil {
		cj = []byte("[]")
	}
	b = append(b, `,"columns":`...)
	b = append(b, cj...)
	b = append(b, ",\"rows\":["...)
	if _, err := w.bw.Write(b); err != nil {
		w.err = err
		return nil, err
	}
	w.tables++
	tw := &TableWriter{w: w, name: name, kinds: make([]Kind, len(cols)), cut: rowCutter{table: name}}
	for i, c := range cols {
		tw.kinds[i] = KindOf(c.Type)
	}
	w.open = tw
	return tw, nil
}

// Close ends the JSON object and the gzip stream (it does not close the underlying
// writer). The compressing goroutines stop whatever it returns.
func (w *Writer) Close() error {
	if err := w.finish(); err != nil {
		w.zw.Abort()
		return err
	}
	if err := w.zw.Close(); err != nil {
		return fmt.Errorf("close gzip: %w", err)
	}
	return nil
}

// finish writes the end of the JSON object into the compressor.
func (w *Writer) finish() error {
	if w.err != nil {
		return w.err
	}
	if w.open != nil {
		return errors.New("dump writer: table not closed")
	}
	if _, err := w.bw.WriteString("\n]}\n"); err != nil {
		return fmt.Errorf("write trailer: %w", err)
	}
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	return nil
}

// Abort gives the dump up: it stops the compressing goroutines and writes nothing
// more. It does nothing after Close.
func (w *Writer) Abort() {
	w.zw.Abort()
}

// TableWriter receives one table's rows as PostgreSQL COPY text format (the output
// of COPY … TO STDOUT) through Write and writes them as JSON rows.
type TableWriter struct {
	w     *Writer
	name  string
	kinds []Kind
	cut   rowCutter // of the COPY stream written through Write
	parts int       // parts not closed yet (NewPart)
	buf   []byte
	rows  int64

	// Large fetches the bytea values a binary COPY row leaves out for their
	// size (see BinaryExportSelect); not used for COPY text format, where
	// every value comes whole inside its row.
	Large FetchFunc

	bin      []binaryOut // set: the rows come as binary COPY output (copyout.go)
	lengthAt []int       // per column: the field with a left-out value's length, or -1
	width    int         // fields per binary COPY row, the columns' and the extra ones
	fields   [][]byte    // the current row's fields, nil for NULL
}

// Rows returns how many rows were written so far.
func (t *TableWriter) Rows() int64 { return t.rows }

// Write consumes the table's COPY output (binary for BeginBinaryTable, text
// otherwise); rows may be split across calls.
func (t *TableWriter) Write(p []byte) (int, error) { return t.write(&t.cut, p) }

// write consumes a piece of the COPY stream that c cuts.
func (t *TableWriter) write(c *rowCutter, p []byte) (int, error) {
	if t.w.err != nil {
		return 0, t.w.err
	}
	if err := c.cut(p, t.writeRow); err != nil {
		return 0, t.fail(err)
	}
	return len(p), nil
}

// writeRow writes one whole row as rowCutter.cut hands it over.
func (t *TableWriter) writeRow(row []byte) error {
	if t.bin != nil {
		return t.binaryRow(row[2:])
	}
	return t.row(row[:len(row)-1])
}

// Close ends the table.
func (t *TableWriter) Close() error {
	if t.w.err != nil {
		return t.w.err
	}
	if t.parts > 0 {
		return t.fail(fmt.Errorf("table %q: %d of its parts not closed", t.name, t.parts))
	}
	if err := t.cut.close(); err != nil {
		return t.fail(err)
	}
	if _, err := t.w.bw.WriteString("]}"); err != nil {
		return t.fail(err)
	}
	t.w.open = nil
	return nil
}

func (t *TableWriter) fail(err error) error {
	t.w.err = err
	return err
}

func (t *TableWriter) row(line []byte) error {
	b := t.buf[:0]
	if t.rows > 0 {
		b = append(b, ",\n["...)
	} else {
		b = append(b, '[')
	}
	col := 0
	for {
		end := bytes.IndexByte(line, '\t')
		field := line
		if end >= 0 {
			field = line[:end]
		}
		if col >= len(t.kinds) {
			return fmt.Errorf("table %q row %d: more COPY fields than the %d columns", t.name, t.rows+1, len(t.kinds))
		}
		if col > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = t.field(b, field, t.kinds[col]); err != nil {
			return fmt.Errorf("table %q row %d column %d: %w", t.name, t.rows+1, col+1, err)
		}
		col++
		if end < 0 {
			break
		}
		line = line[end+1:]
	}
	if col != len(t.kinds) {
		return fmt.Errorf("table %q row %d: %d COPY fields, want %d", t.name, t.rows+1, col, len(t.kinds))
	}
	b = append(b, ']')
	_, err := t.w.bw.Write(b)
	if cap(b) > 4*flushAt {
		b = nil // do not keep a huge row's buffer for the rest of the table
	}
	t.buf = b
	t.rows++
	return err
}

func (t *TableWriter) field(b, f []byte, k Kind) ([]byte, error) {
	if len(f) == 2 && f[0] == '\\' && f[1] == 'N' {
		return append(b, "null"...), nil
	}
	switch k {
	case KindInt:
		return append(b, f...), nil
	case KindBool:
		switch {
		case len(f) == 1 && f[0] == 't':
			return append(b, "true"...), nil
		case len(f) == 1 && f[0] == 'f':
			return append(b, "false"...), nil
		}
		return b, fmt.Errorf("bad boolean %q", f)
	case KindBytea:
		return t.bytea(b, f)
	}
	return appendCopyAsJSON(b, f), nil
}

// bytea turns COPY's escaped hex form (\\x0a1b…) into a base64 JSON string, in
// chunks, handing encoded bytes on whenever they pile up.
func (t *TableWriter) bytea(b, f []byte) ([]byte, error) {
	if len(f) < 3 || f[0] != '\\' || f[1] != '\\' || f[2] != 'x' {
		return b, fmt.Errorf("bytea not in hex format (set bytea_output = 'hex')")
	}
	hx := f[3:]
	if len(hx)%2 != 0 {
		return b, fmt.Errorf("odd bytea hex length")
	}
	b = append(b, '"')
	const chunk = 3 * 16384 // whole base64 groups
	var raw [chunk]byte
	for len(hx) > 0 {
		n := min(len(hx), 2*chunk)
		m, err := hex.Decode(raw[:], hx[:n])
		if err != nil {
			return b, fmt.Errorf("bytea hex: %w", err)
		}
		if b, err = t.appendBase64(b, raw[:m]); err != nil {
			return b, err
		}
		hx = hx[n:]
	}
	return append(b, '"'), nil
}

// needsCare marks bytes that need escaping in JSON or start an escape in COPY text.
var needsCare = func() (t [256]bool) {
	for i := 0; i < 0x20; i++ {
		t[i] = true
	}
	t['"'] = true
	t['\\'] = true
	return t
}()

// appendCopyAsJSON appends a COPY text field (with COPY's backslash escapes) as a
// JSON string.
func appendCopyAsJSON(b, f []byte) []byte { return appendQuoted(b, f, true) }

// appendJSONString appends s (raw bytes) as a JSON string.
func appendJSONString(b, s []byte) []byte { return appendQuoted(b, s, false) }

// appendQuoted appends f as a JSON string, its COPY backslash escapes decoded
// first when copyEscapes is set.
func appendQuoted(b, f []byte, copyEscapes bool) []byte {
	b = append(b, '"')
	for i := 0; i < len(f); {
		start := i
		for i < len(f) && !needsCare[f[i]] {
			i++
		}
		b = append(b, f[start:i]...)
		if i >= len(f) {
			break
		}
		c := f[i]
		i++
		if copyEscapes && c == '\\' && i < len(f) {
			c, i = copyUnescape(f, i)
		}
		b = appendJSONByte(b, c)
	}
	return append(b, '"')
}

// copyUnescape decodes the COPY escape sequence whose first byte after the backslash
// is at f[i]; it returns the byte and the index after the sequence.
func copyUnescape(f []byte, i int) (byte, int) {
	c := f[i]
	i++
	switch c {
	case 'b':
		return '\b', i
	case 'f':
		return '\f', i
	case 'n':
		return '\n', i
	case 'r':
		return '\r', i
	case 't':
		return '\t', i
	case 'v':
		return '\v', i
	case 'x':
		v, n := 0, 0
		for n < 2 && i < len(f) && isHex(f[i]) {
			v = v<<4 | unhex(f[i])
			i++
			n++
		}
		if n == 0 {
			return 'x', i
		}
		return byte(v), i
	}
	if c >= '0' && c <= '7' {
		v := int(c - '0')
		for n := 1; n < 3 && i < len(f) && f[i] >= '0' && f[i] <= '7'; n++ {
			v = v<<3 | int(f[i]-'0')
			i++
		}
		return byte(v), i
	}
	return c, i
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	}
	return int(c-'A') + 10
}

const hexDigits = "0123456789abcdef"

// jsonEscapes is the letter of each byte JSON writes as a two-byte escape.
var jsonEscapes = [256]byte{'"': '"', '\\': '\\', '\n': 'n', '\r': 'r', '\t': 't', '\b': 'b', '\f': 'f'}

func appendJSONByte(b []byte, c byte) []byte {
	if e := jsonEscapes[c]; e != 0 {
		return append(b, '\\', e)
	}
	if c < 0x20 {
		return append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
	}
	return append(b, c)
}
