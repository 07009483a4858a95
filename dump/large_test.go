package dump

import (
	"bytes"
	"encoding/base64"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// spillDump is a dump of one table (id, data bytea, note text) whose rows hold
// the given values of data, in base64; a value may be given already encoded
// (raw JSON) through encoded.
func spillDump(values [][]byte, encoded map[int]string) []byte {
	var b strings.Builder
	b.WriteString(head + `{"name":"files","columns":[{"name":"id","type":"bigint"},{"name":"data","type":"bytea"},{"name":"note","type":"text"}],"rows":[`)
	for i, v := range values {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteString(`[` + strconv.Itoa(i+1) + `,`)
		switch {
		case encoded[i] != "":
			b.WriteString(encoded[i])
		case v == nil:
			b.WriteString("null")
		default:
			b.WriteString(`"` + base64.StdEncoding.EncodeToString(v) + `"`)
		}
		b.WriteString(`,"after"]`)
	}
	b.WriteString("]}]}")
	return gz(b.String())
}

// readSpilled reads every row of a spill dump with data marked Spill and returns
// each value's bytes, whether it came through the file, and the reader's error.
func readSpilled(t *testing.T, in []byte, opts ReaderOptions) (got [][]byte, large []bool, err error) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(in), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tab, err := r.NextTable()
	if err != nil {
		t.Fatal(err)
	}
	tab.Spill = []bool{false, true, false}
	for {
		row, err := r.NextRow()
		if err == io.EOF {
			return got, large, nil
		}
		if err != nil {
			return got, large, err
		}
		if string(row[2].Data) != "after" {
			t.Fatalf("row %d: the value after data is %q, want %q", len(got)+1, row[2].Data, "after")
		}
		v := row[1]
		switch {
		case v.Type == Null:
			got = append(got, nil)
		case v.Large != nil:
			b, err := io.ReadAll(v.Large.Reader())
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(b)) != v.Large.Len() {
				t.Fatalf("row %d: Len %d, read %d bytes", len(got)+1, v.Large.Len(), len(b))
			}
			got = append(got, b)
		default:
			b, err := base64.StdEncoding.DecodeString(string(v.Data))
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, b)
		}
		large = append(large, v.Large != nil)
	}
}

func TestReaderSpillsLargeBytea(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	randBytes := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	// Sizes around the spill size (64 base64 bytes = 48 raw) and the padding cases.
	values := [][]byte{randBytes(10), nil, {}, randBytes(48), randBytes(49), randBytes(50), randBytes(51),
		randBytes(1000), randBytes(1001), randBytes(1002)}
	// The same value with JSON escapes and line breaks a base64 decoder ignores.
	escaped := base64.StdEncoding.EncodeToString(values[7])
	escaped = `"` + strings.ReplaceAll(escaped[:500], "/", `\/`) + `\n` + escaped[500:] + `"`
	values = append(values, values[7])
	in := spillDump(values, map[int]string{len(values) - 1: escaped})

	got, large, err := readSpilled(t, in, ReaderOptions{SpillBytes: 64})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(values) {
		t.Fatalf("read %d rows, want %d", len(got), len(values))
	}
	for i, v := range values {
		if !bytes.Equal(got[i], v) || (got[i] == nil) != (v == nil) {
			t.Errorf("row %d: got %d bytes, want the %d bytes written (nil %v)", i+1, len(got[i]), len(v), v == nil)
		}
		if want := len(base64.StdEncoding.EncodeToString(v)) > 64; large[i] != want {
			t.Errorf("row %d (%d bytes): through the file %v, want %v", i+1, len(v), large[i], want)
		}
	}
}

func TestReaderSpillRefusesBadBase64(t *testing.T) {
	t.Parallel()
	good := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 300))
	for _, tc := range []struct {
		name, value, want string
	}{
		{"padding at a chunk's end", `"` + good[:60] + "AA==" + good[:100] + `"`, "padding before its end"},
		{"padding inside a chunk", `"` + good[:100] + "AA==" + good[:100] + `"`, "illegal base64 data at input byte 104"},
		{"bad character", `"` + good[:200] + "*" + good[:99] + `"`, "illegal base64 data at input byte 200"},
		{"cut short", `"` + good[:201] + `"`, "not valid base64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readSpilled(t, spillDump([][]byte{nil}, map[int]string{0: tc.value}), ReaderOptions{SpillBytes: 64})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), `table "files" row 1 column "data"`) {
				t.Fatalf("got %v, want an error naming the place and %q", err, tc.want)
			}
		})
	}
}

func TestReaderBoundsLargeBytea(t *testing.T) {
	t.Parallel()
	in := spillDump([][]byte{bytes.Repeat([]byte{1}, 3000)}, nil)
	_, _, err := readSpilled(t, in, ReaderOptions{SpillBytes: 64, MaxLargeBytes: 2000})
	if err == nil || !strings.Contains(err.Error(), "bytea value longer than 2668 bytes in base64") {
		t.Fatalf("got %v, want the bytea size error", err)
	}
	// A bytea value may be longer than MaxValueBytes, kept through the file or skipped.
	got, _, err := readSpilled(t, in, ReaderOptions{SpillBytes: 64, MaxValueBytes: 1000})
	if err != nil || len(got) != 1 || len(got[0]) != 3000 {
		t.Fatalf("got %d rows, %v; want the 3000-byte value", len(got), err)
	}
}
