package dump

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

// partsTable is a table in text and in binary COPY format, the same rows in both.
type partsTable struct {
	name   string
	binary bool
	cols   []Column
	header []byte   // before the first row
	rows   [][]byte // each whole row
	footer []byte   // after the last row
}

func partsTables() []partsTable {
	cols := []Column{{Name: "id", Type: "bigint"}, {Name: "t", Type: "text"}, {Name: "data", Type: "bytea"}}
	text := partsTable{name: "text", cols: cols}
	bin := partsTable{name: "binary", binary: true, cols: cols, header: CopyBinaryHeader, footer: CopyBinaryTrailer}
	for i := range int64(40) {
		t := strings.Repeat("Zeile\t\"mit\" \\ Ümlaut ", int(i%7))
		text.rows = append(text.rows, []byte(strconv.FormatInt(i, 10)+"\t"+strings.NewReplacer("\t", `\t`, `\`, `\\`).Replace(t)+"\t\\\\x"+strings.Repeat("00ff", int(i))+"\n"))
		row := []byte{0, 5} // the columns, the length of a value left out (none), the ctid
		for _, f := range [][]byte{be(8, i), []byte(t), bytes.Repeat([]byte{0, 0xff}, int(i)), nil, ctid(int(i))} {
			if f == nil {
				row = AppendBinaryNull(row)
				continue
			}
			row = AppendBinaryRaw(row, f)
		}
		bin.rows = append(bin.rows, row)
	}
	return []partsTable{text, bin}
}

// begin starts the table in a dump written to out.
func (pt partsTable) begin(t *testing.T, out io.Writer) (*Writer, *TableWriter) {
	t.Helper()
	w, err := NewWriter(out, Header{SchemaVersion: SchemaVersion, App: App, ExportedAt: time.Unix(0, 0)}, 0)
	if err != nil {
		t.Fatal(err)
	}
	open := w.BeginTable
	if pt.binary {
		open = w.BeginBinaryTable
	}
	tw, err := open(pt.name, pt.cols)
	if err != nil {
		t.Fatal(err)
	}
	return w, tw
}

// stream is the COPY output of the rows from i to j.
func (pt partsTable) stream(i, j int) []byte {
	return slices.Concat(append(append([][]byte{pt.header}, pt.rows[i:j]...), pt.footer)...)
}

// jsonRows are the rows of a dump's one table, sorted.
func jsonRows(t *testing.T, file []byte) []string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Tables []struct{ Rows []json.RawMessage }
	}
	if err := json.NewDecoder(zr).Decode(&d); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	var out []string
	for _, r := range d.Tables[0].Rows {
		out = append(out, string(r))
	}
	slices.Sort(out)
	return out
}

// TestPartsWriteTheRowsOfOneStream writes a table's rows as one COPY stream,
// then as three streams of parts of its rows, their pieces interleaved and cut
// anywhere: the dump holds the same rows.
func TestPartsWriteTheRowsOfOneStream(t *testing.T) {
	t.Parallel()
	for _, pt := range partsTables() {
		t.Run(pt.name, func(t *testing.T) {
			var one bytes.Buffer
			w, tw := pt.begin(t, &one)
			if _, err := tw.Write(pt.stream(0, len(pt.rows))); err != nil {
				t.Fatal(err)
			}
			if err := errors.Join(tw.Close(), w.Close()); err != nil {
				t.Fatal(err)
			}
			want := jsonRows(t, one.Bytes())
			if len(want) != len(pt.rows) {
				t.Fatalf("one stream wrote %d rows, want %d", len(want), len(pt.rows))
			}

			var parted bytes.Buffer
			w, tw = pt.begin(t, &parted)
			streams := [][]byte{pt.stream(0, 5), pt.stream(5, 30), pt.stream(30, len(pt.rows))}
			parts := []*Part{tw.NewPart(), tw.NewPart(), tw.NewPart()}
			for step := 1; slices.ContainsFunc(streams, func(s []byte) bool { return len(s) > 0 }); step++ {
				for i, s := range streams {
					n := min(len(s), step*(i+2)%23+1)
					if _, err := parts[i].Write(s[:n]); err != nil {
						t.Fatal(err)
					}
					streams[i] = s[n:]
				}
			}
			for _, p := range parts {
				if err := p.Close(); err != nil {
					t.Fatal(err)
				}
			}
			if err := errors.Join(tw.Close(), w.Close()); err != nil {
				t.Fatal(err)
			}
			if got := jsonRows(t, parted.Bytes()); !slices.Equal(got, want) {
				t.Errorf("the parts wrote %d rows, one stream %d, not the same ones", len(got), len(want))
			}
		})
	}
}

// TestPartsMustEndWithARow: a part whose COPY ends inside a row, and a table
// closed before its parts, are refused.
func TestPartsMustEndWithARow(t *testing.T) {
	t.Parallel()
	for _, pt := range partsTables() {
		t.Run(pt.name, func(t *testing.T) {
			_, tw := pt.begin(t, io.Discard)
			part := tw.NewPart()
			s := pt.stream(0, 3)
			if _, err := part.Write(s[:len(s)-len(pt.footer)-3]); err != nil {
				t.Fatal(err)
			}
			if err := part.Close(); err == nil || !strings.Contains(err.Error(), "ends inside a row") {
				t.Errorf("a part cut inside a row: got %v", err)
			}

			_, tw = pt.begin(t, io.Discard)
			tw.NewPart()
			if err := tw.Close(); err == nil || !strings.Contains(err.Error(), "parts not closed") {
				t.Errorf("a table closed before its part: got %v", err)
			}
		})
	}
}
