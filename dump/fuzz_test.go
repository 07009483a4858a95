package dump

import (
	"bytes"
	"io"
	"testing"
)

// FuzzReader feeds arbitrary bytes (gzipped and raw) to the reader: it must return
// a row, io.EOF or an error, never panic or loop, and every value it returns must
// re-encode as COPY text or fail cleanly.
func FuzzReader(f *testing.F) {
	f.Add([]byte(`{"schema_version":1,"app":"wippidu","source_host":"h","exported_at":"2026-11-25T10:11:12Z","include_attachments":true,"tables":[{"name":"t","columns":[{"name":"id","type":"bigint"},{"name":"b","type":"bytea"},{"name":"s","type":"text"}],"rows":[[1,"AAEC","x\u00e4\n"],[2,null,""]]}]}`))
	f.Add([]byte(`{"schema_version":1,"app":"wippidu","tables":[]}`))
	f.Add([]byte(`{"schema_version":99,"app":"wippidu","tables":[]}`))
	f.Add([]byte(`{"schema_version":1,"app":"wippidu","tables":[{"name":"t","columns":[],"rows":[[]]}]}`))
	f.Add([]byte(`{"schema_version":1,"app":"wippidu","tables":[{"name":"t","columns":[{"name":"n","type":"numeric"}],"rows":[[-0.5e+10],["\ud83c\udf92"]]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var zipped bytes.Buffer
		zw := newTestGzip(&zipped)
		zw.Write(data)
		zw.Close()
		for _, in := range [][]byte{zipped.Bytes(), data} {
			r, err := NewReader(bytes.NewReader(in), ReaderOptions{MaxValueBytes: 1 << 16})
			if err != nil {
				continue
			}
			for tables := 0; ; tables++ {
				tb, err := r.NextTable()
				if err != nil {
					break
				}
				kinds := make([]Kind, len(tb.Columns))
				for i, c := range tb.Columns {
					kinds[i] = KindOf(c.Type)
				}
				for {
					row, err := r.NextRow()
					if err != nil {
						if err != io.EOF {
							break
						}
						break
					}
					for i, v := range row {
						_, _ = AppendCopy(nil, v, kinds[i])
					}
				}
			}
		}
	})
}
