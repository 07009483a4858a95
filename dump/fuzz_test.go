package dump

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"unicode/utf8"
)

// FuzzReader feeds arbitrary bytes (gzipped and raw) to the reader: it must return
// a row, io.EOF or an error, never panic or loop. A dump it reads to the end is
// written again with the Writer, its values turned back into COPY text with
// AppendCopy as an import does; reading that copy must give the same header,
// tables, columns and values. Dumps the Writer cannot express are only read (see
// copyDump).
func FuzzReader(f *testing.F) {
	f.Add([]byte(`{"schema_version":1,"app":"wippidu","source_host":"h","exported_at":"2026-11-25T10:11:12Z","include_attachments":true,"tables":[{"name":"t","columns":[{"name":"id","type":"bigint"},{"name":"b","type":"bytea"},{"name":"s","type":"text"}],"rows":[[1,"AAEC","x\u00e4\n"],[2,null,""]]}]}`))
	f.Add([]byte(`{"schema_version":1,"app":"wippidu","tables":[]}`))
	f.Add([]byte(`{"schema_version":99,"app":"wippidu","tables":[]}`))
	f.Add([]byte(`{"schema_version":1,"app":"wippidu","tables":[{"name":"t","columns":[],"rows":[[]]}]}`))
	f.Add([]byte(`{"schema_version":1,"app":"wippidu","tables":[{"name":"t","columns":[{"name":"n","type":"numeric"}],"rows":[[-0.5e+10],["\ud83c\udf92"]]}]}`))
	// Escapes everywhere, a time with an offset, an unknown header key, every kind of
	// column, base64 the Writer spells differently, and a table without columns: a
	// dump the Writer copies.
	f.Add([]byte(`{"schema_version":1,"app":"wippidu","source_host":"h\"\\\u0001","exported_at":"2026-11-25T11:11:12.5+01:00","include_attachments":false,"x":null,"tables":[{"name":"t","columns":[{"name":"n","type":"integer"},{"name":"ok","type":"boolean"},{"name":"s","type":"text[]"},{"name":"b","type":"bytea"}],"rows":[[-0.5e+10,true,"{\"a\\\\b\"}\t\u0001\ud83c\udf92","AB=="],[0,false,null,null]]},{"name":"u","columns":[],"rows":[]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var zipped bytes.Buffer
		zw := newTestGzip(&zipped)
		zw.Write(data)
		zw.Close()
		for _, in := range [][]byte{zipped.Bytes(), data} {
			d, err := readDump(in, ReaderOptions{MaxValueBytes: 1 << 16})
			if err != nil {
				continue
			}
			copied, ok := copyDump(t, d)
			if !ok {
				continue
			}
			again, err := readDump(copied, ReaderOptions{MaxValueBytes: 1 << 16})
			if err != nil {
				t.Fatalf("the Writer's copy of a dump does not read: %v\nfuzz input: %q", err, data)
			}
			if diff := d.diff(again); diff != "" {
				t.Fatalf("the Writer's copy of a dump reads differently: %s\nfuzz input: %q", diff, data)
			}
		}
	})
}

// copyDump writes d again with the Writer, feeding it each table as COPY text made
// by AppendCopy. It returns false for a dump the Writer cannot express, which
// PostgreSQL cannot produce and an import refuses: a value of the wrong JSON type
// for its column, text that is not valid UTF-8 or holds NUL, bytea that is not
// base64, names or types that are not valid UTF-8 (the Writer's JSON encoding of
// columns replaces such bytes), rows in a table without columns (an empty COPY line
// is one field), or an exported_at whose UTC year RFC 3339 cannot write.
func copyDump(t *testing.T, d *dumpData) ([]byte, bool) {
	y := d.header.ExportedAt.UTC().Year()
	ok := y >= 0 && y <= 9999
	copyText := make([][]byte, len(d.tables))
	for i, tb := range d.tables {
		var tableOK bool
		copyText[i], tableOK = tableCopyText(tb)
		ok = ok && tableOK
	}
	if !ok {
		return nil, false
	}
	var out bytes.Buffer
	w, err := NewWriter(&out, d.header, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, tb := range d.tables {
		tw, err := w.BeginTable(tb.name, tb.columns)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(copyText[i]); err != nil {
			t.Fatalf("table %q: the Writer refuses AppendCopy's COPY text %q: %v", tb.name, copyText[i], err)
		}
		if err := tw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes(), true
}

// tableCopyText turns a table's rows into COPY text, and says whether the Writer
// can express the table (see copyDump). Every value goes through AppendCopy, which
// must encode it or fail cleanly.
func tableCopyText(tb tableData) ([]byte, bool) {
	ok := len(tb.columns) > 0 || len(tb.rows) == 0
	kinds := make([]Kind, len(tb.columns))
	for i, c := range tb.columns {
		ok = ok && utf8.ValidString(c.Name) && utf8.ValidString(c.Type)
		kinds[i] = KindOf(c.Type)
	}
	var text []byte
	for _, row := range tb.rows {
		for i, v := range row {
			if i > 0 {
				text = append(text, '\t')
			}
			var err error
			text, err = AppendCopy(text, v, kinds[i])
			ok = ok && err == nil && (v.Type == Null || v.Type == jsonType(kinds[i]))
		}
		text = append(text, '\n')
	}
	return text, ok
}

// jsonType is the type of the non-null values of a column of kind k.
func jsonType(k Kind) ValueType {
	switch k {
	case KindInt:
		return Number
	case KindBool:
		return Bool
	}
	return String
}

// diff describes the first difference between d and e, or returns "".
func (d *dumpData) diff(e *dumpData) string {
	h, g := d.header, e.header
	if !h.ExportedAt.Equal(g.ExportedAt) {
		return fmt.Sprintf("exported_at %v, then %v", h.ExportedAt, g.ExportedAt)
	}
	h.ExportedAt = g.ExportedAt
	if h != g {
		return fmt.Sprintf("header %+v, then %+v", h, g)
	}
	if len(d.tables) != len(e.tables) {
		return fmt.Sprintf("%d tables, then %d", len(d.tables), len(e.tables))
	}
	for i, tb := range d.tables {
		if diff := tb.diff(e.tables[i]); diff != "" {
			return fmt.Sprintf("table %d %q: %s", i+1, tb.name, diff)
		}
	}
	return ""
}

func (tb tableData) diff(u tableData) string {
	switch {
	case tb.name != u.name:
		return fmt.Sprintf("then named %q", u.name)
	case !slices.Equal(tb.columns, u.columns):
		return fmt.Sprintf("columns %v, then %v", tb.columns, u.columns)
	case len(tb.rows) != len(u.rows):
		return fmt.Sprintf("%d rows, then %d", len(tb.rows), len(u.rows))
	}
	for i, row := range tb.rows {
		for j, v := range row {
			if w := u.rows[i][j]; !sameValue(v, w, KindOf(tb.columns[j].Type)) {
				return fmt.Sprintf("row %d column %q: %+v (%q), then %+v (%q)", i+1, tb.columns[j].Name, v, v.Data, w, w.Data)
			}
		}
	}
	return ""
}

// sameValue reports whether v and w are the same value of a column of kind k: the
// same type and the same bytes. For bytea those are the bytes the base64 stands for,
// since base64 may spell the same bytes in more than one way (line breaks, pad
// bits), and the Writer spells them its own way.
func sameValue(v, w Value, k Kind) bool {
	if v.Type != w.Type || v.Bool != w.Bool || v.Skipped != w.Skipped {
		return false
	}
	if v.Type == String && k == KindBytea {
		vb, verr := AppendCopy(nil, v, k)
		wb, werr := AppendCopy(nil, w, k)
		return verr == nil && werr == nil && bytes.Equal(vb, wb)
	}
	return bytes.Equal(v.Data, w.Data)
}
