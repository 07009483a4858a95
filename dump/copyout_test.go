package dump

import (
	"bytes"
	"encoding/binary"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"
)

// binaryCopy builds binary COPY output of rows (nil: NULL) the way PostgreSQL sends it.
func binaryCopy(rows [][][]byte) []byte {
	b := append([]byte(nil), CopyBinaryHeader...)
	for _, r := range rows {
		b = binary.BigEndian.AppendUint16(b, uint16(len(r)))
		for _, f := range r {
			if f == nil {
				b = AppendBinaryNull(b)
				continue
			}
			b = AppendBinaryRaw(b, f)
		}
	}
	return append(b, CopyBinaryTrailer...)
}

// TestBinaryExportRowsWhateverTheSplit feeds the same binary COPY output whole and
// one byte at a time: the JSON rows are the same, and every form is written as
// the text export writes it.
func TestBinaryExportRowsWhateverTheSplit(t *testing.T) {
	t.Parallel()
	cols := []Column{{Name: "id", Type: "bigint"}, {Name: "n", Type: "smallint"}, {Name: "ok", Type: "boolean"},
		{Name: "t", Type: "text"}, {Name: "j", Type: "jsonb"}, {Name: "at", Type: "timestamp with time zone"}, {Name: "data", Type: "bytea"}}
	if sel := BinaryExportSelect(cols, []string{`"id"`, `"n"`, `"ok"`, `"t"`, `"j"`, `"at"`, `"data"`}, 1000); strings.Join(sel, ",") != `"id","n","ok","t","j","at"::text,`+
		`CASE WHEN octet_length("data") <= 1000 THEN "data" END,CASE WHEN octet_length("data") > 1000 THEN octet_length("data") END,ctid` {
		t.Fatalf("select list: %v", sel)
	}
	if BinaryExportSelect([]Column{{Name: "x", Type: "numeric(10,2)"}}, []string{`"x"`}, 1000) != nil {
		t.Error("numeric has no binary export form here, but got a select list")
	}
	big := bytes.Repeat([]byte{0, 0xff, '"', '\\'}, 40000)
	stream := binaryCopy([][][]byte{
		{be(8, -5), be(2, 7), {1}, []byte("Tab\there \"quoted\" ✓"), append([]byte{1}, `{"a": [1, "x"]}`...), []byte("2026-11-20 10:00:00.000001+00"), {0, 1, 2}, nil, ctid(1)},
		{be(8, 1<<40), nil, {0}, []byte(""), nil, nil, big, nil, ctid(2)},
	})
	write := func(chunk int) string {
		var out bytes.Buffer
		w, err := NewWriter(&out, Header{SchemaVersion: SchemaVersion, App: App, ExportedAt: time.Unix(0, 0)}, 0)
		if err != nil {
			t.Fatal(err)
		}
		tw, err := w.BeginBinaryTable("things", cols)
		if err != nil {
			t.Fatal(err)
		}
		for p := stream; len(p) > 0; {
			n := min(chunk, len(p))
			if _, err := tw.Write(p[:n]); err != nil {
				t.Fatalf("chunk %d: %v", chunk, err)
			}
			p = p[n:]
		}
		if err := tw.Close(); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		r, err := NewReader(&out, ReaderOptions{ReadAhead: chunk == 1})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var rows []string
		if _, err := r.NextTable(); err != nil {
			t.Fatal(err)
		}
		for {
			row, err := r.NextRow()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			var s []string
			for _, v := range row {
				d := string(v.Data)
				if v.Type == Bool {
					d = strconv.FormatBool(v.Bool)
				}
				s = append(s, v.Type.String()+":"+d)
			}
			rows = append(rows, strings.Join(s, "|"))
		}
		return strings.Join(rows, "\n")
	}
	whole, bytewise := write(len(stream)), write(1)
	if whole != bytewise {
		t.Errorf("split changes the rows:\n%s\n---\n%s", whole, bytewise)
	}
	want := `a number:-5|a number:7|a boolean:true|a string:Tab	here "quoted" ✓|a string:{"a": [1, "x"]}|a string:2026-11-20 10:00:00.000001+00|a string:AAEC`
	if first, _, _ := strings.Cut(whole, "\n"); first != want {
		t.Errorf("first row:\n got %s\nwant %s", first, want)
	}
	if !strings.Contains(whole, "a number:1099511627776|null:|a boolean:false|a string:|null:|null:|a string:AP8iXAD/") {
		t.Errorf("second row: %.200s", whole)
	}
}

func TestBinaryExportRefusesCutData(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	w, _ := NewWriter(&out, Header{SchemaVersion: SchemaVersion, App: App}, 0)
	tw, err := w.BeginBinaryTable("things", []Column{{Name: "id", Type: "bigint"}})
	if err != nil {
		t.Fatal(err)
	}
	stream := binaryCopy([][][]byte{{be(8, 1)}})
	if _, err := tw.Write(stream[:len(stream)-4]); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err == nil || !strings.Contains(err.Error(), "ends inside a row") {
		t.Errorf("cut stream: got %v", err)
	}
}

// ctid is a binary tid: block 0, offset n.
func ctid(n int) []byte { return []byte{0, 0, 0, 0, byte(n >> 8), byte(n)} }

func be(size int, n int64) []byte {
	b := binary.BigEndian.AppendUint64(nil, uint64(n))
	return b[8-size:]
}
