package baddump

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// doc is a dump's JSON as an editable value: header keys in file order, and every
// value of every row as raw JSON, so that a mutation can put anything anywhere.
type doc struct {
	header []field
	tables []*table
}

type field struct {
	key string
	raw string // raw JSON
}

type table struct {
	name    string // raw JSON
	columns []column
	rows    [][]string // raw JSON values
}

type column struct {
	name string // raw JSON
	typ  string // raw JSON
}

// parse reads a dump's decompressed JSON.
func parse(js []byte) (*doc, error) {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil { // {
		return nil, err
	}
	d := &doc{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		if key != "tables" {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, err
			}
			d.header = append(d.header, field{key, string(raw)})
			continue
		}
		var tables []struct {
			Name    json.RawMessage
			Columns []struct{ Name, Type json.RawMessage }
			Rows    [][]json.RawMessage
		}
		if err := dec.Decode(&tables); err != nil {
			return nil, err
		}
		for _, t := range tables {
			nt := &table{name: string(t.Name), rows: [][]string{}}
			for _, c := range t.Columns {
				nt.columns = append(nt.columns, column{string(c.Name), string(c.Type)})
			}
			for _, r := range t.Rows {
				row := make([]string, len(r))
				for i, v := range r {
					row[i] = string(v)
				}
				nt.rows = append(nt.rows, row)
			}
			d.tables = append(d.tables, nt)
		}
	}
	return d, nil
}

// encode writes the JSON the way dump.Writer lays it out: one row per line.
func (d *doc) encode() []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for _, f := range d.header {
		b.WriteString(quote(f.key) + ":" + f.raw + ",")
	}
	b.WriteString("\"tables\":[\n")
	for i, t := range d.tables {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteString(`{"name":` + t.name + `,"columns":[`)
		for j, c := range t.columns {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"name":` + c.name + `,"type":` + c.typ + `}`)
		}
		b.WriteString(`],"rows":[`)
		for j, r := range t.rows {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString("\n[" + strings.Join(r, ",") + "]")
		}
		b.WriteString("]}")
	}
	b.WriteString("\n]}\n")
	return b.Bytes()
}

func (d *doc) clone() *doc {
	c, err := parse(d.encode())
	if err != nil {
		panic(fmt.Sprintf("baddump: re-parse own encoding: %v", err))
	}
	return c
}

// set replaces a header value, keeping its place.
func (d *doc) set(key, raw string) {
	for i := range d.header {
		if d.header[i].key == key {
			d.header[i].raw = raw
			return
		}
	}
	panic("baddump: no header key " + key)
}

// drop removes a header key.
func (d *doc) drop(key string) {
	for i := range d.header {
		if d.header[i].key == key {
			d.header = append(d.header[:i], d.header[i+1:]...)
			return
		}
	}
	panic("baddump: no header key " + key)
}

// table returns the named table; the generator only names tables the app has.
func (d *doc) table(name string) *table {
	for _, t := range d.tables {
		if t.name == quote(name) {
			return t
		}
	}
	panic("baddump: the good dump has no table " + name)
}

// position is where the named table is among the dump's tables, from 1 (the
// way the reader's messages count them).
func (d *doc) position(name string) int {
	for i, t := range d.tables {
		if t.name == quote(name) {
			return i + 1
		}
	}
	panic("baddump: the good dump has no table " + name)
}

// col returns the index of the named column.
func (t *table) col(name string) int {
	for i, c := range t.columns {
		if c.name == quote(name) {
			return i
		}
	}
	panic("baddump: table " + t.name + " has no column " + name)
}

// row returns row i (0-based), which must exist.
func (t *table) row(i int) []string {
	if i >= len(t.rows) {
		panic(fmt.Sprintf("baddump: table %s has only %d rows", t.name, len(t.rows)))
	}
	return t.rows[i]
}

// quote returns s as a JSON string, HTML characters unescaped.
func quote(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// gunzip decompresses a whole (small) file.
func gunzip(b []byte) ([]byte, error) {
	zr, err := newGzipReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}
