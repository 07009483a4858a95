package dump

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

const head = `{"schema_version":1,"app":"wippidu","tables":[`

func TestReaderBoundsWhitespace(t *testing.T) {
	t.Parallel()
	ok := head + strings.Repeat(" ", MaxWhitespace) + `{"name":"t","columns":[],"rows":[]}]}`
	if err := readAll(gz(ok)); err != nil {
		t.Fatalf("%d bytes of whitespace: %v", MaxWhitespace, err)
	}
	bomb := head + strings.Repeat(" \n", MaxWhitespace) + `]}`
	if err := readAll(gz(bomb)); err == nil || !strings.Contains(err.Error(), "bytes of whitespace in a row") {
		t.Fatalf("got %v, want the whitespace error", err)
	}
}

func TestReaderBoundsTables(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString(head)
	for i := range 11 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"name":"t","columns":[],"rows":[]}`)
	}
	b.WriteString("]}")
	r, err := NewReader(bytes.NewReader(gz(b.String())), ReaderOptions{MaxTables: 10})
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if _, err := r.NextTable(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.NextTable(); err == nil || !strings.Contains(err.Error(), "the dump has more than 10 tables") {
		t.Fatalf("got %v, want the table count error", err)
	}
}

func TestReaderBoundsRowBytes(t *testing.T) {
	t.Parallel()
	v := `"` + strings.Repeat("a", 600) + `"`
	in := gz(head + `{"name":"t","columns":[{"name":"a","type":"text"},{"name":"b","type":"text"}],"rows":[[` + v + `,` + v + `]]}]}`)
	r, err := NewReader(bytes.NewReader(in), ReaderOptions{MaxValueBytes: 1000, MaxRowBytes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.NextTable(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.NextRow(); err == nil || !strings.Contains(err.Error(), `table "t" row 1: values longer than 1000 bytes together`) {
		t.Fatalf("got %v, want the row size error", err)
	}
}

// A table the caller does not read is skipped without holding its strings.
func TestNextTableSkipsUnreadRowsWithoutKeepingThem(t *testing.T) {
	t.Parallel()
	v := `"` + strings.Repeat("a", 5000) + `"`
	in := gz(head + `{"name":"t","columns":[{"name":"a","type":"text"}],"rows":[[` + v + `],[` + v + `]]},{"name":"u","columns":[],"rows":[]}]}`)
	r, err := NewReader(bytes.NewReader(in), ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.NextTable(); err != nil {
		t.Fatal(err)
	}
	if tb, err := r.NextTable(); err != nil || tb.Name != "u" {
		t.Fatalf("got %v, %v, want table u", tb, err)
	}
	if cap(r.arena) >= 5000 {
		t.Errorf("arena grew to %d bytes for rows nobody read", cap(r.arena))
	}
}

type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data[:min(len(f.data), 100)])
	f.data = f.data[n:]
	return n, nil
}

// A storage failure is not the dump's fault: it must not look like a format error,
// or the job would not be retried.
func TestStorageErrorsAreNotFormatErrors(t *testing.T) {
	t.Parallel()
	storage := errors.New("connection reset by storage")
	file := gz(head + `{"name":"t","columns":[{"name":"a","type":"text"}],"rows":[["` + strings.Repeat("x", 1<<16) + `"]]}]}`)
	for _, n := range []int{0, 5, len(file) / 2} {
		r, err := NewReader(&failingReader{data: file[:n], err: storage}, ReaderOptions{})
		for err == nil {
			if _, err = r.NextTable(); err == nil {
				_, err = r.NextRow()
			}
		}
		if !errors.Is(err, storage) || errors.Is(err, ErrFormat) {
			t.Errorf("failure after %d bytes: got %v, want the storage error, not ErrFormat", n, err)
		}
	}
}

func TestEmptyAndNonGzipInput(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty file", nil, "the file is empty"},
		{"empty gzip", gz(""), "the gzip file holds no data"},
		{"huge version", gz(`{"schema_version":99999999999999999999,"app":"wippidu","tables":[]}`), "Dump schema version 99999999999999999999 is newer"},
		{"fractional version", gz(`{"schema_version":1.0,"app":"wippidu","tables":[]}`), "schema_version must be a positive integer, got 1.0"},
		{"column name number", gz(head + `{"name":"t","columns":[{"name":1,"type":"text"}],"rows":[]}]}`), `table "t": column 1: name must be a string, got a number`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := readAll(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}
