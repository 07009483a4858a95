package dump

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
)

// DefaultMaxValueBytes bounds a single decoded JSON string (an attachment's base64,
// a message body). A larger value is refused instead of exhausting memory.
const DefaultMaxValueBytes = 64 << 20

// DefaultMaxNameBytes bounds table, column and type names, object keys and header
// values.
const DefaultMaxNameBytes = 256

// DefaultMaxRowBytes bounds the decoded values of one row taken together (skipped
// values do not count: they are never held).
const DefaultMaxRowBytes = 2 * DefaultMaxValueBytes

// DefaultMaxTables bounds the number of tables in a dump. The app has about a dozen.
const DefaultMaxTables = 10000

// MaxWhitespace bounds a run of insignificant whitespace, so that a small gzip file
// that expands to gigabytes of spaces is refused at once instead of being scanned.
const MaxWhitespace = 1 << 20

// ValueType is the JSON type of a value read from a dump.
type ValueType uint8

// The JSON types of values.
const (
	Null ValueType = iota
	Number
	Bool
	String
)

// Value is one value of a row. Data holds a string's decoded bytes or a number's
// text; it is only valid until the next call to NextRow.
type Value struct {
	Type    ValueType
	Bool    bool
	Data    []byte
	Skipped bool // a string the caller asked not to keep (see Table.Skip)
}

// Table is the table currently being read.
type Table struct {
	Name    string
	Columns []Column
	// Skip, when set by the caller before the first NextRow, marks columns whose
	// string values are not needed: they are scanned but not decoded or kept.
	Skip []bool
	Rows int64
}

// ReaderOptions bound what a Reader accepts.
type ReaderOptions struct {
	MaxValueBytes int // 0 means DefaultMaxValueBytes
	MaxRowBytes   int // 0 means DefaultMaxRowBytes (at least MaxValueBytes)
	MaxTables     int // 0 means DefaultMaxTables
}

// Reader reads a dump as a stream.
type Reader struct {
	src    io.Reader
	zr     *gzip.Reader
	buf    []byte
	pos    int
	end    int
	offset int64 // decompressed bytes consumed before buf[0]
	eof    bool
	err    error

	maxValue  int
	maxRow    int
	maxTables int
	header    Header
	table     *Table
	tables    int
	state     int
	col       int // index of the value being read, -1 outside a row's values
	row       []Value
	arena     []byte
}

const (
	stateTables = iota
	stateRows
	stateDone
)

// NewReader starts reading the dump in src (gzip) and reads its header. A dump
// whose schema_version is newer than SchemaVersion yields a *NewerSchemaError.
func NewReader(src io.Reader, opts ReaderOptions) (*Reader, error) {
	zr, err := gzip.NewReader(src)
	switch {
	case err == io.EOF:
		return nil, fmt.Errorf("%w: the file is empty", ErrFormat)
	case errors.Is(err, gzip.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF):
		return nil, fmt.Errorf("%w: not a gzip file: %v", ErrFormat, err)
	case err != nil:
		// The storage failed, not the file: a retry may succeed.
		return nil, fmt.Errorf("read dump: %w", err)
	}
	r := &Reader{src: src, zr: zr, buf: make([]byte, 256<<10), col: -1,
		maxValue: opts.MaxValueBytes, maxRow: opts.MaxRowBytes, maxTables: opts.MaxTables}
	if r.maxValue <= 0 {
		r.maxValue = DefaultMaxValueBytes
	}
	if r.maxRow <= 0 {
		r.maxRow = DefaultMaxRowBytes
	}
	r.maxRow = max(r.maxRow, r.maxValue)
	if r.maxTables <= 0 {
		r.maxTables = DefaultMaxTables
	}
	if err := r.readHeader(); err != nil {
		return nil, err
	}
	return r, nil
}

// Header returns the dump's header.
func (r *Reader) Header() Header { return r.header }

// Offset returns how many decompressed bytes have been consumed.
func (r *Reader) Offset() int64 { return r.offset + int64(r.pos) }

func (r *Reader) formatErr(format string, args ...any) error {
	if r.err != nil {
		return r.err
	}
	r.err = fmt.Errorf("%w: %s%s (at byte %d of the JSON)", ErrFormat, r.where(), fmt.Sprintf(format, args...), r.Offset())
	return r.err
}

// where says which table, row and column the reader is in, for error messages.
func (r *Reader) where() string {
	if r.state != stateRows || r.table == nil {
		return ""
	}
	t := r.table
	if r.col >= 0 && r.col < len(t.Columns) {
		return fmt.Sprintf("table %q row %d column %q: ", t.Name, t.Rows+1, t.Columns[r.col].Name)
	}
	return fmt.Sprintf("table %q row %d: ", t.Name, t.Rows+1)
}

// fill makes at least one more byte available; false at end of input or error.
func (r *Reader) fill() bool {
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
			var corrupt flate.CorruptInputError
			switch {
			case errors.Is(err, io.ErrUnexpectedEOF):
				r.err = fmt.Errorf("%w: %sthe file is truncated: the gzip data ends after %d bytes of JSON", ErrFormat, r.where(), r.offset+int64(r.end))
			case errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.As(err, &corrupt):
				r.err = fmt.Errorf("%w: %sdamaged gzip data after %d bytes of JSON: %v", ErrFormat, r.where(), r.offset+int64(r.end), err)
			default:
				// The storage failed, not the file: a retry may succeed.
				r.err = fmt.Errorf("read dump: %w", err)
			}
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
func (r *Reader) peek() (byte, error) {
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
			if r.err != nil {
				return 0, r.err
			}
			return 0, r.formatErr("unexpected end of file")
		}
	}
}

func (r *Reader) expect(c byte) error {
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

// more handles the separator in an array or object: it returns false at the closing
// byte (consumed) and true when another element follows (after a comma if not first).
func (r *Reader) more(closing byte, first bool) (bool, error) {
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
func (r *Reader) key() (string, error) {
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

func (r *Reader) readHeader() error {
	c, err := r.peek()
	if err != nil {
		if r.eof && r.offset == 0 && r.end == 0 {
			return fmt.Errorf("%w: not a wippidu dump: the gzip file holds no data", ErrFormat)
		}
		return err
	}
	if c != '{' {
		return r.formatErr("not a wippidu dump: the file holds %s, not a JSON object", jsonKind(c))
	}
	r.pos++
	k, err := r.key()
	if err != nil {
		return err
	}
	if k != "schema_version" {
		return r.formatErr("not a wippidu dump: first key is %q, want \"schema_version\"", k)
	}
	v, err := r.scalar()
	if errors.Is(err, errTooLong) {
		return r.tooLong("schema_version")
	}
	if err != nil {
		return err
	}
	if v.Type != Number {
		return r.formatErr("schema_version must be a number, got %s", v.Type)
	}
	ver, err := strconv.ParseInt(string(v.Data), 10, 64)
	if err != nil || ver < 1 {
		if errors.Is(err, strconv.ErrRange) && v.Data[0] != '-' {
			// A positive integer larger than int64: certainly newer.
			return &NewerSchemaError{Version: -1, Text: string(v.Data)}
		}
		return r.formatErr("schema_version must be a positive integer, got %s", v.Data)
	}
	if ver > SchemaVersion {
		return &NewerSchemaError{Version: ver}
	}
	r.header.SchemaVersion = int(ver)
	seen := map[string]bool{}
	for {
		if c, err := r.peek(); err != nil {
			return err
		} else if c != ',' {
			return r.formatErr("header ends without a \"tables\" key")
		}
		r.pos++
		k, err := r.key()
		if err != nil {
			return err
		}
		if seen[k] {
			return r.formatErr("duplicate header key %q", k)
		}
		seen[k] = true
		if k == "tables" {
			break
		}
		if len(seen) > 64 {
			return r.formatErr("more than 64 header keys")
		}
		v, err := r.scalar()
		if errors.Is(err, errTooLong) {
			return r.tooLong("header value " + strconv.Quote(k))
		}
		if err != nil {
			return err
		}
		switch k {
		case "app":
			if v.Type != String || string(v.Data) != App {
				return r.formatErr("not a wippidu dump: app is %q", v.Data)
			}
			r.header.App = App
		case "source_host":
			if v.Type != String {
				return r.formatErr("source_host must be a string")
			}
			r.header.SourceHost = string(v.Data)
		case "exported_at":
			if v.Type != String {
				return r.formatErr("exported_at must be a string")
			}
			t, err := time.Parse(time.RFC3339Nano, string(v.Data))
			if err != nil {
				return r.formatErr("exported_at is not an RFC 3339 time: %q", v.Data)
			}
			r.header.ExportedAt = t
		case "include_attachments":
			if v.Type != Bool {
				return r.formatErr("include_attachments must be true or false")
			}
			r.header.IncludeAttachments = v.Bool
		default:
			// Unknown header keys of the same format version are ignored.
		}
	}
	if r.header.App != App {
		return r.formatErr("not a wippidu dump: the \"app\" key is missing")
	}
	if c, err := r.peek(); err != nil {
		return err
	} else if c != '[' {
		return r.formatErr("\"tables\" must be an array, found %s", jsonKind(c))
	}
	r.pos++
	r.state = stateTables
	return nil
}

// jsonKind names the JSON value that starts with c.
func jsonKind(c byte) string {
	switch {
	case c == '[':
		return "a JSON array"
	case c == '{':
		return "a JSON object"
	case c == '"':
		return "a JSON string"
	case c == '-' || (c >= '0' && c <= '9'):
		return "a JSON number"
	case c == 'n':
		return "JSON null"
	case c == 't' || c == 'f':
		return "a JSON boolean"
	}
	return fmt.Sprintf("no JSON (first byte %q)", c)
}

// String names a value type in error messages.
func (t ValueType) String() string {
	switch t {
	case Null:
		return "null"
	case Number:
		return "a number"
	case Bool:
		return "a boolean"
	case String:
		return "a string"
	}
	return "an unknown type"
}

// prefix shortens a too-long name for an error message.
func prefix(b []byte) string {
	if len(b) > 40 {
		b = b[:40]
	}
	return string(b) + "…"
}

// scalar reads null, a boolean, a number or a short string: a header value, a table
// or column name. The value's Data is only valid until the next call. A string over
// DefaultMaxNameBytes yields errTooLong, for the caller to turn into tooLong.
func (r *Reader) scalar() (Value, error) {
	var v Value
	r.arena = r.arena[:0]
	err := r.value(&v, DefaultMaxNameBytes, false)
	return v, err
}

// tooLong is the error for a name or header value longer than DefaultMaxNameBytes;
// what names it.
func (r *Reader) tooLong(what string) error {
	return r.formatErr("%s longer than %d bytes (starts with %q)", what, DefaultMaxNameBytes, prefix(r.arena))
}

// NextTable skips what is left of the current table and starts the next one. It
// returns io.EOF after the last table, once the whole file has been checked.
func (r *Reader) NextTable() (*Table, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.state == stateRows {
		// The rest of the table is only checked, never kept: skip every string.
		t := r.table
		if len(t.Skip) < len(t.Columns) {
			t.Skip = make([]bool, len(t.Columns))
		}
		for i := range t.Skip {
			t.Skip[i] = true
		}
		for {
			if _, err := r.NextRow(); err == io.EOF {
				break
			} else if err != nil {
				return nil, err
			}
		}
	}
	if r.state == stateDone {
		return nil, io.EOF
	}
	first := r.table == nil
	ok, err := r.more(']', first)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, r.finish()
	}
	if r.tables >= r.maxTables {
		return nil, r.formatErr("the dump has more than %d tables", r.maxTables)
	}
	r.tables++
	if err := r.expect('{'); err != nil {
		return nil, err
	}
	t := &Table{}
	if err := r.tableKey(fmt.Sprintf("table %d", r.tables), "first", "name"); err != nil {
		return nil, err
	}
	nv, err := r.scalar()
	if errors.Is(err, errTooLong) {
		return nil, r.tooLong(fmt.Sprintf("table %d: name", r.tables))
	}
	if err != nil {
		return nil, err
	}
	if nv.Type != String || len(nv.Data) == 0 {
		got := nv.Type.String()
		if nv.Type == String {
			got = "an empty string"
		}
		return nil, r.formatErr("table %d: name must be a non-empty string, got %s", r.tables, got)
	}
	t.Name = string(nv.Data)
	if err := r.expect(','); err != nil {
		return nil, err
	}
	if err := r.tableKey(fmt.Sprintf("table %q", t.Name), "second", "columns"); err != nil {
		return nil, err
	}
	if t.Columns, err = r.columns(t.Name); err != nil {
		return nil, err
	}
	if err := r.expect(','); err != nil {
		return nil, err
	}
	if err := r.tableKey(fmt.Sprintf("table %q", t.Name), "third", "rows"); err != nil {
		return nil, err
	}
	if c, err := r.peek(); err != nil {
		return nil, err
	} else if c != '[' {
		return nil, r.formatErr("table %q: rows must be an array, found %s", t.Name, jsonKind(c))
	}
	r.pos++
	r.table = t
	r.state = stateRows
	r.col = -1
	if cap(r.row) < len(t.Columns) {
		r.row = make([]Value, len(t.Columns))
	}
	r.row = r.row[:len(t.Columns)]
	return t, nil
}

// finish checks the end of the dump after the tables array: the closing brace,
// nothing but whitespace after it, and the gzip checksum.
func (r *Reader) finish() error {
	if err := r.expect('}'); err != nil {
		return err
	}
	if _, err := r.peek(); err == nil {
		return r.formatErr("data after the end of the dump")
	} else if !r.eof || r.pos < r.end {
		// Not a clean end of input: a damaged or truncated gzip stream, too much
		// whitespace, or a storage error.
		return err
	}
	r.err = nil
	// Read the gzip stream to its end so that its checksum is verified.
	if _, err := io.Copy(io.Discard, r.zr); err != nil {
		return fmt.Errorf("%w: damaged gzip data: %v", ErrFormat, err)
	}
	r.state = stateDone
	return io.EOF
}

func (r *Reader) columns(table string) ([]Column, error) {
	if c, err := r.peek(); err != nil {
		return nil, err
	} else if c != '[' {
		return nil, r.formatErr("table %q: columns must be an array, found %s", table, jsonKind(c))
	}
	r.pos++
	var cols []Column
	seen := map[string]bool{}
	for first := true; ; first = false {
		ok, err := r.more(']', first)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if len(cols) >= 1600 { // PostgreSQL's own limit on columns per table
			return nil, r.formatErr("table %q has more than 1600 columns", table)
		}
		if err := r.expect('{'); err != nil {
			return nil, err
		}
		var c Column
		for kf := true; ; kf = false {
			ok, err := r.more('}', kf)
			if err != nil {
				return nil, err
			}
			if !ok {
				break
			}
			k, err := r.key()
			if err != nil {
				return nil, err
			}
			v, err := r.scalar()
			if errors.Is(err, errTooLong) {
				return nil, r.tooLong(fmt.Sprintf("table %q: column %d %s", table, len(cols)+1, k))
			}
			if err != nil {
				return nil, err
			}
			if (k == "name" || k == "type") && v.Type != String {
				return nil, r.formatErr("table %q: column %d: %s must be a string, got %s", table, len(cols)+1, k, v.Type)
			}
			switch k {
			case "name":
				c.Name = string(v.Data)
			case "type":
				c.Type = string(v.Data)
			}
		}
		if c.Name == "" || c.Type == "" {
			return nil, r.formatErr("table %q: column %d needs a name and a type", table, len(cols)+1)
		}
		if seen[c.Name] {
			return nil, r.formatErr("table %q: column %q appears twice", table, c.Name)
		}
		seen[c.Name] = true
		cols = append(cols, c)
	}
	return cols, nil
}

// tableKey reads the next key of a table object, which must be want: a table's keys
// come in a fixed order so that its columns are known before its rows.
func (r *Reader) tableKey(table, nth, want string) error {
	k, err := r.key()
	if err != nil {
		return err
	}
	if k != want {
		return r.formatErr("%s: %s key is %q, want %q", table, nth, k, want)
	}
	return nil
}

// NextRow returns the next row of the current table, or io.EOF after its last row.
// The returned slice and its values are reused by the next call.
func (r *Reader) NextRow() ([]Value, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.state != stateRows {
		return nil, io.EOF
	}
	t := r.table
	ok, err := r.more(']', t.Rows == 0)
	if err != nil {
		return nil, err
	}
	if !ok {
		if err := r.expect('}'); err != nil {
			return nil, err
		}
		r.state = stateTables
		return nil, io.EOF
	}
	if c, err := r.peek(); err != nil {
		return nil, err
	} else if c != '[' {
		return nil, r.formatErr("a row must be an array, found %s", jsonKind(c))
	}
	r.pos++
	r.arena = r.arena[:0]
	row := r.row
	n := 0
	for first := true; ; first = false {
		ok, err := r.more(']', first)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if n >= len(row) {
			r.col = -1
			return nil, r.formatErr("more values than the table's %d columns", len(row))
		}
		r.col = n
		skip := n < len(t.Skip) && t.Skip[n]
		limit := r.maxValue
		if rest := r.maxRow - len(r.arena); rest < limit && !skip {
			limit = rest
		}
		if err := r.value(&row[n], limit, skip); err != nil {
			if errors.Is(err, errTooLong) {
				if limit < r.maxValue {
					r.col = -1
					return nil, r.formatErr("values longer than %d bytes together", r.maxRow)
				}
				return nil, r.formatErr("value longer than %d bytes", r.maxValue)
			}
			return nil, err
		}
		n++
	}
	r.col = -1
	if n != len(row) {
		return nil, r.formatErr("found %d values, want %d (one per column)", n, len(row))
	}
	t.Rows++
	// Strings were appended to the arena, which may have moved while growing:
	// point the values at their final place.
	off := 0
	for i := range row {
		if (row[i].Type == String && !row[i].Skipped) || row[i].Type == Number {
			l := len(row[i].Data)
			row[i].Data = r.arena[off : off+l : off+l]
			off += l
		}
	}
	return row, nil
}

var errTooLong = errors.New("value too long")

// value reads one JSON value that must be a scalar. Strings are decoded into the
// arena unless skip is set; limit bounds the string's length either way.
func (r *Reader) value(v *Value, limit int, skip bool) error {
	c, err := r.peek()
	if err != nil {
		return err
	}
	*v = Value{}
	switch {
	case c == '"':
		r.pos++
		v.Type = String
		if skip {
			v.Skipped = true
			return r.skipString(limit)
		}
		start := len(r.arena)
		a, err := r.readString(r.arena, limit)
		r.arena = a
		if err != nil {
			return err
		}
		v.Data = a[start:]
		return nil
	case c == 'n':
		return r.literal("null")
	case c == 't':
		v.Type, v.Bool = Bool, true
		return r.literal("true")
	case c == 'f':
		v.Type = Bool
		return r.literal("false")
	case c == '-' || (c >= '0' && c <= '9'):
		v.Type = Number
		return r.number(v)
	case c == '[' || c == '{':
		return r.formatErr("expected a value, found a nested %s", strings.TrimPrefix(jsonKind(c), "a JSON "))
	}
	return r.formatErr("expected a value, found %q", c)
}

func (r *Reader) literal(s string) error {
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

// number reads a JSON number into the arena (numbers are short).
func (r *Reader) number(v *Value) error {
	start := len(r.arena)
	state := 0 // JSON number grammar: 0 sign,1 int-first,2 int,3 frac-first,4 frac,5 exp-sign,6 exp-first,7 exp
	for {
		if r.pos >= r.end && !r.fill() {
			if r.err != nil {
				return r.err
			}
			break
		}
		c := r.buf[r.pos]
		ok := true
		switch {
		case state == 0 && c == '-':
			state = 1
		case (state == 0 || state == 1) && c == '0':
			state = 8 // leading zero: only . or e may follow
		case (state == 0 || state == 1) && c >= '1' && c <= '9':
			state = 2
		case state == 2 && c >= '0' && c <= '9':
		case (state == 2 || state == 8) && c == '.':
			state = 3
		case (state == 3 || state == 4) && c >= '0' && c <= '9':
			state = 4
		case (state == 2 || state == 4 || state == 8) && (c == 'e' || c == 'E'):
			state = 5
		case state == 5 && (c == '+' || c == '-'):
			state = 6
		case (state == 5 || state == 6 || state == 7) && c >= '0' && c <= '9':
			state = 7
		default:
			ok = false
		}
		if !ok {
			break
		}
		if len(r.arena)-start > 64 {
			return r.formatErr("number too long")
		}
		r.arena = append(r.arena, c)
		r.pos++
	}
	if state != 2 && state != 4 && state != 7 && state != 8 {
		return r.formatErr("invalid number %q", r.arena[start:])
	}
	v.Data = r.arena[start:]
	return nil
}

// readString decodes a JSON string whose opening quote was consumed, appending its
// bytes to dst. Lone surrogates are refused; other text is taken as is and checked
// for UTF-8 validity by the caller that knows the column's type. A string longer
// than limit yields errTooLong, with no more than limit bytes appended.
func (r *Reader) readString(dst []byte, limit int) ([]byte, error) {
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
			return append(dst, r.buf[r.pos:r.pos+max(0, limit-(len(dst)-base))]...), errTooLong
		}
		if cap(dst)-len(dst) < i-r.pos {
			dst = grow(dst, i-r.pos, base+limit)
		}
		dst = append(dst, r.buf[r.pos:i]...)
		r.pos = i
		if r.pos >= r.end {
			if !r.fill() {
				if r.err != nil {
					return dst, r.err
				}
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
		// Escape sequence.
		if r.pos >= r.end && !r.fill() {
			return dst, r.formatErr("unexpected end of file inside a string")
		}
		e := r.buf[r.pos]
		r.pos++
		switch e {
		case '"', '\\', '/':
			dst = append(dst, e)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
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
			dst = utf8.AppendRune(dst, cp)
		default:
			return dst, r.formatErr("invalid escape \\%c in a string", e)
		}
	}
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
func (r *Reader) consume(c byte) bool {
	if r.pos >= r.end && !r.fill() {
		return false
	}
	if r.buf[r.pos] != c {
		return false
	}
	r.pos++
	return true
}

func (r *Reader) hex4() (rune, error) {
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
// are mostly attachments' base64, so it looks for the closing quote with
// bytes.IndexByte rather than byte by byte. A string longer than limit yields
// errTooLong: it is not kept, but scanning it is not free either.
func (r *Reader) skipString(limit int) error {
	n := 0 // bytes scanned before r.pos
	for {
		if n > limit {
			return errTooLong
		}
		seg := r.buf[r.pos:r.end]
		q := bytes.IndexByte(seg, '"')
		upto := q
		if q < 0 {
			upto = len(seg)
		}
		if bs := bytes.IndexByte(seg[:upto], '\\'); bs >= 0 {
			n += bs + 2
			r.pos += bs + 1
			if r.pos >= r.end && !r.fill() {
				return r.formatErr("unexpected end of file inside a string")
			}
			r.pos++ // the escaped byte; \uXXXX digits are plain bytes
			continue
		}
		if q >= 0 {
			if n+q > limit {
				return errTooLong
			}
			r.pos += q + 1
			return nil
		}
		n += len(seg)
		r.pos = r.end
		if !r.fill() {
			if r.err != nil {
				return r.err
			}
			return r.formatErr("unexpected end of file inside a string")
		}
	}
}
