package baddump

import (
	"bytes"
	"encoding/json"
	"hash/crc32"
	"io"
	"testing"
)

func TestCRC32Combine(t *testing.T) {
	t.Parallel()
	a, b := []byte("Elternabend am Dienstag"), bytes.Repeat([]byte("xyz"), 1000)
	got := crc32Combine(crc32.ChecksumIEEE(a), crc32.ChecksumIEEE(b), int64(len(b)))
	if want := crc32.ChecksumIEEE(append(bytes.Clone(a), b...)); got != want {
		t.Errorf("combine: got %08x, want %08x", got, want)
	}
	if got, want := crcRepeat(crc32.ChecksumIEEE(b), int64(len(b)), 7), crc32.ChecksumIEEE(bytes.Repeat(b, 7)); got != want {
		t.Errorf("repeat: got %08x, want %08x", got, want)
	}
}

// A repeated stream is a valid gzip file, checksum and size included.
func TestRepeatStreamIsValidGzip(t *testing.T) {
	t.Parallel()
	prefix, suffix := []byte(`{"s":"`), bytes.Repeat([]byte(`"}`), 40000)
	open := repeatStream(prefix, 'x', 5<<20, suffix)
	zr, err := newGzipReader(open())
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("decompress: %v", err)
	}
	fill := int64(len(got)) - int64(len(prefix)) - int64(len(suffix))
	if !bytes.HasPrefix(got, prefix) || !bytes.HasSuffix(got, suffix) || fill < 5<<20 || bytes.Count(got, []byte("x")) != int(fill) {
		t.Errorf("got %d bytes, want prefix, %d bytes of fill, suffix", len(got), 5<<20)
	}
	// Reading it twice gives the same bytes.
	a, _ := io.ReadAll(open())
	b, _ := io.ReadAll(open())
	if !bytes.Equal(a, b) || len(a) > len(suffix)+16<<10 {
		t.Errorf("compressed sizes %d and %d: want equal and small", len(a), len(b))
	}
}

func TestManyTablesIsValidJSON(t *testing.T) {
	t.Parallel()
	zr, err := newGzipReader(manyTables([]byte(`{"tables":[`), 10000)())
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ Tables []struct{ Name string } }
	if err := json.NewDecoder(zr).Decode(&v); err != nil {
		t.Fatal(err)
	}
	if len(v.Tables) != 10000 || v.Tables[9999].Name != "t10000" {
		t.Errorf("got %d tables", len(v.Tables))
	}
}
