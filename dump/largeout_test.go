package dump

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

// largeTable writes rows of (id bigint, a bytea, b bytea) as binary COPY output
// and returns the dump's JSON. A value longer than limit is left out of its
// row, as BinaryExportSelect's query leaves it out, and fetched by fetch; the
// length field of column b is an int8, of column a an int4, so both forms are
// read.
func largeTable(t *testing.T, rows [][][]byte, limit int, fetch FetchFunc) (string, error) {
	t.Helper()
	var stream [][][]byte
	for i, r := range rows {
		out := [][]byte{be(8, int64(i)), r[0], r[1], nil, nil, ctid(i)}
		for c, v := range r {
			if len(v) > limit {
				out[1+c] = nil
				out[3+c] = be(4+4*c, int64(len(v)))
			}
		}
		stream = append(stream, out)
	}
	var dump bytes.Buffer
	w, err := NewWriter(&dump, Header{SchemaVersion: SchemaVersion, App: App, ExportedAt: time.Unix(0, 0)}, 0)
	if err != nil {
		t.Fatal(err)
	}
	tw, err := w.BeginBinaryTable("attachments", []Column{{Name: "id", Type: "bigint"}, {Name: "a", Type: "bytea"}, {Name: "b", Type: "bytea"}})
	if err != nil {
		t.Fatal(err)
	}
	tw.Large = fetch
	if _, err := tw.Write(binaryCopy(stream)); err != nil {
		return "", err
	}
	if err := firstErr(tw.Close(), w.Close()); err != nil {
		return "", err
	}
	zr, err := gzip.NewReader(&dump)
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(out), nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// rowOf is the row index a test ctid names.
func rowOf(ctid []byte) int { return int(ctid[4])<<8 | int(ctid[5]) }

// TestLargeValuesWriteAsIfInline writes the same values once inside their rows
// and once fetched apart in pieces of awkward sizes: the dump's bytes are the
// same, whatever the value's length modulo 3.
func TestLargeValuesWriteAsIfInline(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(1, 2))
	value := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rnd.UintN(256))
		}
		return b
	}
	var rows [][][]byte
	for _, n := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 100, 1000, 3 * 16384, 3*16384 + 1, 600_001} {
		rows = append(rows, [][]byte{value(n), nil}, [][]byte{{}, value(n)})
	}
	rows = append(rows, [][]byte{value(70_000), value(300_000)})
	whole, err := largeTable(t, rows, 1<<30, nil)
	if err != nil {
		t.Fatal(err)
	}
	pieces := []int{1, 2, 4, 3, 5, 7, 11, 65536, 1 << 20}
	fetched := 0
	apart, err := largeTable(t, rows, 2, func(ctid []byte, col int, n int64, emit func([]byte) error) error {
		v := rows[rowOf(ctid)][col-1]
		if int64(len(v)) != n {
			return fmt.Errorf("length %d, want %d", n, len(v))
		}
		fetched++
		for i := 0; len(v) > 0; i++ {
			k := min(len(v), pieces[(i+fetched)%len(pieces)])
			piece := bytes.Clone(v[:k])
			if err := emit(piece); err != nil {
				return err
			}
			clear(piece) // the writer must not keep it
			v = v[k:]
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fetched != 2*14+2 {
		t.Errorf("%d values fetched, want %d", fetched, 2*14+2)
	}
	if whole != apart {
		t.Errorf("fetched values differ from values inside their rows:\n%.300s\n---\n%.300s", whole, apart)
	}
}

// TestLargeValuesRefusedWhenWrong fails an export whose large value cannot be
// written exactly: nothing to fetch it with, fewer or more bytes than the row
// said, or the fetch's own error.
func TestLargeValuesRefusedWhenWrong(t *testing.T) {
	t.Parallel()
	rows := [][][]byte{{[]byte("hello"), nil}}
	emitting := func(p []byte, err error) FetchFunc {
		return func(_ []byte, _ int, _ int64, emit func([]byte) error) error {
			if err := emit(p); err != nil {
				return err
			}
			return err
		}
	}
	for _, c := range []struct {
		name  string
		fetch FetchFunc
		want  string
	}{
		{"no fetch", nil, "no way to fetch it"},
		{"short", emitting([]byte("hell"), nil), "fetched 4 of the value's 5 bytes: the row changed under the export's snapshot"},
		{"long", emitting([]byte("hello!"), nil), "fetched more than the value's 5 bytes"},
		{"failing", emitting(nil, io.ErrUnexpectedEOF), "fetch a value of 5 bytes: unexpected EOF"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := largeTable(t, rows, 2, c.fetch)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `table "attachments" row 1 column 2`) {
				t.Errorf("got %v, want an error with %q", err, c.want)
			}
		})
	}
}
