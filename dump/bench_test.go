package dump

import (
	"bytes"
	"io"
	"strconv"
	"sync"
	"testing"

	"github.com/klauspost/compress/gzip"
)

var (
	benchOnce sync.Once
	benchFile []byte
	benchRaw  int64
)

// benchDump is a ~50 MB (decompressed) dump of one table with many rows: numbers,
// short texts, whitespace between rows, and a big string column the reader is asked
// to skip, as an importer does for anonymized attachments.
func benchDump(b *testing.B) ([]byte, int64) {
	b.Helper()
	benchOnce.Do(func() {
		var out bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&out, gzip.BestSpeed)
		cw := &countWriter{w: zw}
		io.WriteString(cw, `{"schema_version":1,"app":"wippidu","source_host":"bench","exported_at":"2026-11-25T10:11:12Z","include_attachments":true,"tables":[`+"\n"+
			`{"name":"attachments","columns":[{"name":"id","type":"bigint"},{"name":"filename","type":"text"},{"name":"created_at","type":"timestamp with time zone"},{"name":"ok","type":"boolean"},{"name":"data","type":"bytea"}],"rows":[`+"\n")
		blob := make([]byte, 300)
		for i := range blob {
			blob[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[(i*7+i/13)%64]
		}
		var line []byte
		for i := 0; cw.n < 50<<20; i++ {
			line = line[:0]
			if i > 0 {
				line = append(line, ",\n"...)
			}
			line = append(line, '[')
			line = strconv.AppendInt(line, int64(i+1), 10)
			line = append(line, `,"Datei `...)
			line = strconv.AppendInt(line, int64(i), 10)
			line = append(line, ` \"ä\".pdf","2026-11-20 10:00:00.000001+00",true,"`...)
			blob[i%len(blob)] = "ABCDEFGH"[i%8] // keep gzip honest
			line = append(line, blob...)
			line = append(line, `=="]`...)
			cw.Write(line)
		}
		io.WriteString(cw, "]}\n]}\n")
		zw.Close()
		benchFile, benchRaw = out.Bytes(), cw.n
	})
	return benchFile, benchRaw
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// BenchmarkReader reads the whole benchmark dump, skipping the big column.
func BenchmarkReader(b *testing.B) {
	file, raw := benchDump(b)
	b.SetBytes(raw)
	b.ReportAllocs()
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(file), ReaderOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for {
			tb, err := r.NextTable()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			tb.Skip = make([]bool, len(tb.Columns))
			tb.Skip[len(tb.Skip)-1] = true
			for {
				if _, err := r.NextRow(); err == io.EOF {
					break
				} else if err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}
