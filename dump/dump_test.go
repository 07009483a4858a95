package dump

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

// writeDump builds a dump from tables given as COPY text.
func writeDump(t *testing.T, h Header, tables map[string][]Column, order []string, copyData map[string]string) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := NewWriter(&out, h, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range order {
		tw, err := w.BeginTable(name, tables[name])
		if err != nil {
			t.Fatal(err)
		}
		data := copyData[name]
		// Feed in awkward pieces to exercise rows split across writes.
		for len(data) > 0 {
			n := min(len(data), 7)
			if _, err := tw.Write([]byte(data[:n])); err != nil {
				t.Fatal(err)
			}
			data = data[n:]
		}
		if err := tw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestRoundTripThroughCopyText(t *testing.T) {
	t.Parallel()
	cols := []Column{{"id", "bigint"}, {"name", "text"}, {"ok", "boolean"}, {"data", "bytea"}, {"at", "timestamp with time zone"}, {"tags", "text[]"}}
	copyText := strings.Join([]string{
		"1\tplain\tt\t\\\\x00ff10\t2026-11-25 10:11:12.123456+00\t{a,b}",
		"2\t\\N\tf\t\\N\t\\N\t{}",
		"3\t\tt\t\\\\x\t2026-01-01 00:00:00+00\t{\"x y\"}",
		"4\ttab\\there\\nnewline\\\\back\"quote\x01ctl äöü 🎒\tf\t\\\\x41\t1999-12-31 23:59:59+00\t{NULL}",
	}, "\n") + "\n"
	h := Header{SchemaVersion: 1, App: App, SourceHost: "app.wippidu.net", ExportedAt: time.Date(2026, 11, 25, 10, 11, 12, 0, time.UTC), IncludeAttachments: true}
	file := writeDump(t, h, map[string][]Column{"t": cols, "empty": {{"id", "bigint"}}}, []string{"t", "empty"}, map[string]string{"t": copyText})

	r, err := NewReader(bytes.NewReader(file), ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Header(); got != h {
		t.Fatalf("header: got %+v, want %+v", got, h)
	}
	tb, err := r.NextTable()
	if err != nil {
		t.Fatal(err)
	}
	if tb.Name != "t" || len(tb.Columns) != len(cols) {
		t.Fatalf("table: got %q %v", tb.Name, tb.Columns)
	}
	kinds := make([]Kind, len(cols))
	for i, c := range cols {
		kinds[i] = KindOf(c.Type)
	}
	var back strings.Builder
	for {
		row, err := r.NextRow()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var line []byte
		for i, v := range row {
			if i > 0 {
				line = append(line, '\t')
			}
			if line, err = AppendCopy(line, v, kinds[i]); err != nil {
				t.Fatal(err)
			}
		}
		back.Write(append(line, '\n'))
	}
	// \x01 comes back raw (COPY would accept either form).
	if got := back.String(); got != copyText {
		t.Errorf("COPY text after round trip:\ngot  %q\nwant %q", got, copyText)
	}
	tb, err = r.NextTable()
	if err != nil || tb.Name != "empty" {
		t.Fatalf("second table: got %v, %v", tb, err)
	}
	if _, err := r.NextRow(); err != io.EOF {
		t.Fatalf("empty table row: got %v, want EOF", err)
	}
	if _, err := r.NextTable(); err != io.EOF {
		t.Fatalf("end: got %v, want EOF", err)
	}
}

func gz(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.Bytes()
}

func TestReaderRefusesBadInput(t *testing.T) {
	t.Parallel()
	good := `{"schema_version":1,"app":"wippidu","source_host":"h","exported_at":"2026-11-25T10:11:12Z","include_attachments":true,"tables":[{"name":"t","columns":[{"name":"id","type":"bigint"}],"rows":[[1],[2]]}]}`
	tests := []struct {
		name  string
		input []byte
		want  string
	}{
		{"not gzip", []byte("hello"), "not a gzip file"},
		{"not json", gz("hello"), "not a JSON object"},
		{"newer", gz(`{"schema_version":2,"app":"wippidu","tables":[]}`), "Dump schema version 2 is newer than this instance supports."},
		{"missing version", gz(`{"app":"wippidu","tables":[]}`), `first key is "app"`},
		{"wrong app", gz(`{"schema_version":1,"app":"other","tables":[]}`), `app is "other"`},
		{"truncated", gz(good[:len(good)-20]), "unexpected end of file"},
		{"too many values", gz(strings.Replace(good, "[2]", "[2,3]", 1)), `table "t" row 2: more values than the table's 1 columns`},
		{"too few values", gz(strings.Replace(good, "[2]", "[]", 1)), `table "t" row 2: found 0 values, want 1`},
		{"nested", gz(strings.Replace(good, "[2]", "[[2]]", 1)), "nested array"},
		{"trailing", gz(good + "x"), "data after the end"},
		{"bad escape", gz(strings.Replace(good, `"h"`, `"\q"`, 1)), `invalid escape`},
		{"lone surrogate", gz(strings.Replace(good, `"h"`, `"\ud800"`, 1)), `surrogate`},
		{"dup column", gz(strings.Replace(good, `[{"name":"id","type":"bigint"}]`, `[{"name":"id","type":"bigint"},{"name":"id","type":"bigint"}]`, 1)), "appears twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := readAll(tt.input)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if err := readAll(gz(good)); err != nil {
		t.Fatalf("good dump: %v", err)
	}
	var newer *NewerSchemaError
	if err := readAll(gz(`{"schema_version":7,"tables":[]}`)); !errors.As(err, &newer) || newer.Version != 7 {
		t.Errorf("newer: got %v", err)
	}
}

func TestReaderBoundsValueSize(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("a", 5000)
	in := gz(`{"schema_version":1,"app":"wippidu","tables":[{"name":"t","columns":[{"name":"s","type":"text"}],"rows":[["` + big + `"]]}]}`)
	r, err := NewReader(bytes.NewReader(in), ReaderOptions{MaxValueBytes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.NextTable(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.NextRow(); err == nil || !strings.Contains(err.Error(), "longer than 1000 bytes") {
		t.Fatalf("got %v, want value-too-long error", err)
	}
	// Skipped columns are never held in memory, but scanning them is not free:
	// they are bounded by the same limit.
	r, _ = NewReader(bytes.NewReader(in), ReaderOptions{MaxValueBytes: 1000})
	tb, _ := r.NextTable()
	tb.Skip = []bool{true}
	if _, err := r.NextRow(); err == nil || !strings.Contains(err.Error(), `table "t" row 1 column "s": value longer than 1000 bytes`) {
		t.Fatalf("skipped: got %v, want value-too-long error", err)
	}
	r, _ = NewReader(bytes.NewReader(in), ReaderOptions{MaxValueBytes: 5000})
	tb, _ = r.NextTable()
	tb.Skip = []bool{true}
	row, err := r.NextRow()
	if err != nil || !row[0].Skipped {
		t.Fatalf("skipped: got %v, %v", row, err)
	}
}

// readAll reads the dump in b to its end.
func readAll(b []byte) error {
	_, err := readDump(b, ReaderOptions{})
	return err
}

// dumpData is all a Reader yields from a dump.
type dumpData struct {
	header Header
	tables []tableData
}

type tableData struct {
	name    string
	columns []Column
	rows    [][]Value // with their own Data: the Reader reuses its buffers
}

// readDump reads the dump in b to its end and keeps all it yields.
func readDump(b []byte, opts ReaderOptions) (*dumpData, error) {
	r, err := NewReader(bytes.NewReader(b), opts)
	if err != nil {
		return nil, err
	}
	d := &dumpData{header: r.Header()}
	for {
		tb, err := r.NextTable()
		if err == io.EOF {
			return d, nil
		} else if err != nil {
			return nil, err
		}
		td := tableData{name: tb.Name, columns: tb.Columns}
		for {
			row, err := r.NextRow()
			if err == io.EOF {
				break
			} else if err != nil {
				return nil, err
			}
			row = slices.Clone(row)
			for i := range row {
				row[i].Data = bytes.Clone(row[i].Data)
			}
			td.rows = append(td.rows, row)
		}
		d.tables = append(d.tables, td)
	}
}

func newTestGzip(w io.Writer) *gzip.Writer { return gzip.NewWriter(w) }
