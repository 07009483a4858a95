package dump

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/gzip"

	"github.com/wippidu/wippidu/internal/readahead"
)

// DefaultMaxValueBytes bounds a single decoded JSON string (a message body, a JSON
// column). A larger value is refused instead of exhausting memory. A bytea value
// (an attachment's base64) is bound by MaxLargeBytes instead: it is never held.
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

// Value is one value of a row. Data holds a string's decoded bytes or a number's
// text; it is only valid until the next call to NextRow.
type Value struct {
	Type    ValueType
	Bool    bool
	Data    []byte
	Skipped bool   // a string the caller asked not to keep (see Table.Skip)
	Large   *Large // a bytea value too big to hold, decoded into a file (see Table.Spill); Data is empty

	prefixed bool // skipped, but Data holds its first bytes (see Table.Prefix)
}

// Table is the table currently being read.
type Table struct {
	Name    string
	Columns []Column
	// Skip, when set by the caller before the first NextRow, marks columns whose
	// string values are not needed: they are scanned but not decoded or kept.
	Skip []bool
	// Prefix, when set with Skip, asks for the first Prefix[i] decoded bytes of a
	// skipped column's strings: Data holds them, Skipped stays true.
	Prefix []int
	// Spill, when set by the caller before the first NextRow, marks bytea columns
	// whose long strings are decoded into a temporary file (Value.Large) rather than
	// held; shorter ones come as usual, in base64.
	Spill []bool
	Rows  int64

	bytea []bool // the columns of type bytea, whose values may be up to MaxLargeBytes
}

// ReaderOptions bound what a Reader accepts.
type ReaderOptions struct {
	MaxValueBytes int // 0 means DefaultMaxValueBytes
	MaxRowBytes   int // 0 means DefaultMaxRowBytes (at least MaxValueBytes)
	MaxTables     int // 0 means DefaultMaxTables
	// MaxLargeBytes bounds a bytea value's decoded size, in a Spill column or a
	// skipped one (0 means DefaultMaxLargeBytes); other values are bound by
	// MaxValueBytes.
	MaxLargeBytes int
	// SpillBytes is the base64 length above which a Spill column's string goes to
	// the temporary file (0 means DefaultSpillBytes).
	SpillBytes int
	// ReadAhead decompresses on a goroutine of its own, ahead of the parsing;
	// the reader must then be closed.
	ReadAhead bool
}

// Reader reads a dump as a stream.
type Reader struct {
	lexer
	src   io.Reader
	ahead *readahead.Reader

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
	maxLarge  int // longest base64 string of a bytea value
	spillAt   int
	spill     spill
}

const (
	stateTables = iota
	stateRows
	stateDone
)

// NewReader starts reading the dump in src (gzip) and reads its header. A dump
// whose schema_version is newer than SchemaVersion yields a *NewerSchemaError.
func NewReader(src io.Reader, opts ReaderOptions) (*Reader, error) {
	zr, err := Inflate(src)
	if err != nil {
		return nil, err
	}
	r := &Reader{lexer: lexer{zr: zr, buf: make([]byte, 256<<10)}, src: src, col: -1,
		maxValue: opts.MaxValueBytes, maxRow: opts.MaxRowBytes, maxTables: opts.MaxTables}
	r.lexer.where = r.where
	if r.maxValue <= 0 {
		r.maxValue = DefaultMaxValueBytes
	}
	if r.maxRow <= 0 {
		r.maxRow = DefaultMaxRowBytes
	}
	r.maxRow = max(r.maxRow, r.maxValue)
	r.maxLarge = largeBase64Limit(cmp.Or(opts.MaxLargeBytes, DefaultMaxLargeBytes))
	r.spillAt = cmp.Or(opts.SpillBytes, DefaultSpillBytes)
	if r.maxTables <= 0 {
		r.maxTables = DefaultMaxTables
	}
	if err := r.readHeader(); err != nil {
		return nil, err
	}
	if opts.ReadAhead {
		// Inflating a dump takes about as long as parsing it: the two run on two cores.
		r.ahead = readahead.New(zr, readAheadChunks, readAheadSize)
		r.zr = r.ahead
	}
	return r, nil
}

const (
	inflateReadSize = 256 << 10 // how much of the compressed file one read asks for
	readAheadChunks = 4         // inflated chunks held ahead of the parsing
	readAheadSize   = 256 << 10
)

// Inflate returns the dump in src (gzip) decompressed as a Reader reads it, and
// nothing more: no parsing, no checks but gzip's own. It is what reading a dump
// costs at the least (the bench's floor of an import).
func Inflate(src io.Reader) (io.Reader, error) {
	// gzip reads through a bufio.Reader of 4 KiB unless src has one: a read system
	// call for every 4 KiB of a file of gigabytes (a 1.7 GB dump: 0.4 s of the 1.2 s
	// its inflating took). A src that has a buffer keeps its own (sealed.Plain).
	if _, ok := src.(io.ByteReader); !ok {
		src = bufio.NewReaderSize(src, inflateReadSize)
	}
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
	return zr, nil
}

// Close stops the reader's decompressing goroutine, if it has one, and closes its
// temporary file of large values. It does not close the source.
func (r *Reader) Close() {
	if r.ahead != nil {
		r.ahead.Close()
	}
	r.closeSpill()
}

// Header returns the dump's header.
func (r *Reader) Header() Header { return r.header }

// Offset returns how many decompressed bytes have been consumed.
func (r *Reader) Offset() int64 { return r.offset + int64(r.pos) }

// value reads one JSON value that must be a scalar. Strings are decoded into the
// arena unless skip is set (then only their first prefix bytes, if prefix > 0);
// limit bounds the string's length either way.
func (r *Reader) value(v *Value, limit int, skip bool, prefix int) error {
	c, err := r.peek()
	if err != nil {
		return err
	}
	*v = Value{}
	switch {
	case c == '"':
		r.pos++
		v.Type = String
		if skip && prefix > 0 {
			v.Skipped, v.prefixed = true, true
			start := len(r.arena)
			a, err := r.readString(r.arena, min(prefix, limit))
			r.arena, v.Data = a, a[start:]
			if errors.Is(err, errTooLong) && prefix < limit {
				return r.skipString(limit - prefix)
			}
			return err
		}
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
		start := len(r.arena)
		a, err := r.number(r.arena)
		r.arena, v.Data = a, a[start:]
		return err
	case c == '[' || c == '{':
		return r.formatErr("expected a value, found a nested %s", strings.TrimPrefix(jsonKind(c), "a JSON "))
	}
	return r.formatErr("expected a value, found %q", c)
}

// scalar reads null, a boolean, a number or a short string: a header value, a table
// or column name. The value's Data is only valid until the next call. A string over
// DefaultMaxNameBytes yields errTooLong, for the caller to turn into tooLong.
func (r *Reader) scalar() (Value, error) {
	var v Value
	r.arena = r.arena[:0]
	err := r.value(&v, DefaultMaxNameBytes, false, 0)
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
		if err := r.skipRows(); err != nil {
			return nil, err
		}
	}
	if r.state == stateDone {
		return nil, io.EOF
	}
	ok, err := r.more(']', r.table == nil)
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
	t, err := r.tableHead()
	if err != nil {
		return nil, err
	}
	r.table = t
	r.state = stateRows
	r.col = -1
	if cap(r.row) < len(t.Columns) {
		r.row = make([]Value, len(t.Columns))
	}
	r.row = r.row[:len(t.Columns)]
	return t, nil
}

// skipRows reads the rest of the current table. It is only checked, never kept:
// every string is skipped.
func (r *Reader) skipRows() error {
	t := r.table
	if len(t.Skip) < len(t.Columns) {
		t.Skip = make([]bool, len(t.Columns))
	}
	for i := range t.Skip {
		t.Skip[i] = true
	}
	for {
		if _, err := r.NextRow(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
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

// tableHead reads a table object up to the opening bracket of its rows.
func (r *Reader) tableHead() (*Table, error) {
	if err := r.expect('{'); err != nil {
		return nil, err
	}
	name, err := r.tableName()
	if err != nil {
		return nil, err
	}
	t := &Table{Name: name}
	table := fmt.Sprintf("table %q", t.Name)
	if err := r.tableKey(table, 1); err != nil {
		return nil, err
	}
	if t.Columns, err = r.columns(t.Name); err != nil {
		return nil, err
	}
	t.bytea = make([]bool, len(t.Columns))
	for i, c := range t.Columns {
		t.bytea[i] = KindOf(c.Type) == KindBytea
	}
	if err := r.tableKey(table, 2); err != nil {
		return nil, err
	}
	if err := r.openArray(table + ": rows"); err != nil {
		return nil, err
	}
	return t, nil
}

// tableName reads a table's first key and the table's name.
func (r *Reader) tableName() (string, error) {
	if err := r.tableKey(fmt.Sprintf("table %d", r.tables), 0); err != nil {
		return "", err
	}
	nv, err := r.scalar()
	if errors.Is(err, errTooLong) {
		return "", r.tooLong(fmt.Sprintf("table %d: name", r.tables))
	}
	if err != nil {
		return "", err
	}
	if nv.Type != String || len(nv.Data) == 0 {
		got := nv.Type.String()
		if nv.Type == String {
			got = "an empty string"
		}
		return "", r.formatErr("table %d: name must be a non-empty string, got %s", r.tables, got)
	}
	return string(nv.Data), nil
}

// tableKeys are the keys of a table object. They come in this fixed order so that
// a table's columns are known before its rows.
var tableKeys = [...]struct{ nth, key string }{{"first", "name"}, {"second", "columns"}, {"third", "rows"}}

// tableKey reads the comma before key i of a table object (except the first) and
// the key, which must be tableKeys[i].key; table names the table in errors.
func (r *Reader) tableKey(table string, i int) error {
	if i > 0 {
		if err := r.expect(','); err != nil {
			return err
		}
	}
	k, err := r.key()
	if err != nil {
		return err
	}
	if want := tableKeys[i]; k != want.key {
		return r.formatErr("%s: %s key is %q, want %q", table, want.nth, k, want.key)
	}
	return nil
}

// columns reads the columns array of table. Column names must be unique: a row's
// values are matched to the importing instance's columns by them.
func (r *Reader) columns(table string) ([]Column, error) {
	if err := r.openArray(fmt.Sprintf("table %q: columns", table)); err != nil {
		return nil, err
	}
	var cols []Column
	seen := map[string]bool{}
	for {
		ok, err := r.more(']', len(cols) == 0)
		if err != nil {
			return nil, err
		}
		if !ok {
			return cols, nil
		}
		if len(cols) >= 1600 { // PostgreSQL's own limit on columns per table
			return nil, r.formatErr("table %q has more than 1600 columns", table)
		}
		c, err := r.column(table, len(cols)+1)
		if err != nil {
			return nil, err
		}
		if seen[c.Name] {
			return nil, r.formatErr("table %q: column %q appears twice", table, c.Name)
		}
		seen[c.Name] = true
		cols = append(cols, c)
	}
}

// column reads column n (counted from 1) of table: an object with a name and a
// type; other keys are ignored.
func (r *Reader) column(table string, n int) (Column, error) {
	var c Column
	if err := r.expect('{'); err != nil {
		return c, err
	}
	for first := true; ; first = false {
		ok, err := r.more('}', first)
		if err != nil {
			return c, err
		}
		if !ok {
			break
		}
		k, err := r.key()
		if err != nil {
			return c, err
		}
		v, err := r.scalar()
		if errors.Is(err, errTooLong) {
			return c, r.tooLong(fmt.Sprintf("table %q: column %d %s", table, n, k))
		}
		if err != nil {
			return c, err
		}
		if (k == "name" || k == "type") && v.Type != String {
			return c, r.formatErr("table %q: column %d: %s must be a string, got %s", table, n, k, v.Type)
		}
		switch k {
		case "name":
			c.Name = string(v.Data)
		case "type":
			c.Type = string(v.Data)
		}
	}
	if c.Name == "" || c.Type == "" {
		return c, r.formatErr("table %q: column %d needs a name and a type", table, n)
	}
	return c, nil
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
	if err := r.openArray("a row"); err != nil {
		return nil, err
	}
	r.arena = r.arena[:0]
	r.spill.end = 0
	n, err := r.rowValues()
	if err != nil {
		return nil, err
	}
	if n != len(r.row) {
		return nil, r.formatErr("found %d values, want %d (one per column)", n, len(r.row))
	}
	t.Rows++
	r.placeValues()
	return r.row, nil
}

// rowValues reads the values of a row, after its opening bracket, into r.row and
// returns how many there were.
func (r *Reader) rowValues() (int, error) {
	t, row := r.table, r.row
	for n := 0; ; n++ {
		ok, err := r.more(']', n == 0)
		if err != nil {
			return n, err
		}
		if !ok {
			r.col = -1
			return n, nil
		}
		if n >= len(row) {
			r.col = -1
			return n, r.formatErr("more values than the table's %d columns", len(row))
		}
		r.col = n
		// A kept string may use no more than what is left of the row's budget, a
		// skipped one no more than a single value's.
		skip := n < len(t.Skip) && t.Skip[n]
		spill := !skip && n < len(t.Spill) && t.Spill[n] && t.bytea[n]
		limit := r.maxValue
		if rest := r.maxRow - len(r.arena); rest < limit && !skip {
			limit = rest
		}
		if t.bytea[n] && (skip || spill) {
			// Held in neither case: only the format's own bound applies.
			limit = r.maxLarge
		}
		prefix := 0
		if skip && n < len(t.Prefix) {
			prefix = t.Prefix[n]
		}
		if err := r.rowValue(&row[n], limit, skip, spill, prefix); err != nil {
			return n, r.valueErr(err, limit)
		}
	}
}

// rowValue reads one value of a row: a Spill column's string through spillValue,
// anything else through value.
func (r *Reader) rowValue(v *Value, limit int, skip, spill bool, prefix int) error {
	if spill {
		if c, err := r.peek(); err == nil && c == '"' {
			r.pos++
			*v = Value{Type: String}
			return r.spillValue(v, limit)
		}
	}
	return r.value(v, limit, skip, prefix)
}

// valueErr turns errTooLong for a row's value read within limit into the error that
// names the bound it hit; other errors pass unchanged.
func (r *Reader) valueErr(err error, limit int) error {
	if !errors.Is(err, errTooLong) {
		return err
	}
	switch {
	case limit == r.maxLarge:
		return r.formatErr("bytea value longer than %d bytes in base64", r.maxLarge)
	case limit < r.maxValue:
		r.col = -1
		return r.formatErr("values longer than %d bytes together", r.maxRow)
	}
	return r.formatErr("value longer than %d bytes", r.maxValue)
}

// placeValues points the values of a row read in full at their final place: strings
// and numbers were appended to the arena, which may have moved while growing.
func (r *Reader) placeValues() {
	row := r.row
	off := 0
	for i := range row {
		if (row[i].Type == String && (!row[i].Skipped || row[i].prefixed)) || row[i].Type == Number {
			l := len(row[i].Data)
			row[i].Data = r.arena[off : off+l : off+l]
			off += l
		}
	}
}
