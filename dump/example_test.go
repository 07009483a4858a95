package dump_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/wippidu/wippidu/dump"
)

// A dump is written table by table from PostgreSQL's COPY text output, and read
// back row by row as a stream.
func Example() {
	var file bytes.Buffer
	w, err := dump.NewWriter(&file, dump.Header{
		SchemaVersion: dump.SchemaVersion,
		App:           dump.App,
		SourceHost:    "app.wippidu.net",
		ExportedAt:    time.Date(2026, 11, 25, 10, 11, 12, 0, time.UTC),
	}, 0)
	if err != nil {
		panic(err)
	}
	tw, err := w.BeginTable("school_classes", []dump.Column{{Name: "id", Type: "bigint"}, {Name: "name", Type: "text"}, {Name: "room", Type: "text"}})
	if err != nil {
		panic(err)
	}
	// What `COPY school_classes (id, name, room) TO STDOUT` sends: \N is NULL.
	if _, err := io.WriteString(tw, "1\t4a\tRaum 12\n2\t4b\t\\N\n"); err != nil {
		panic(err)
	}
	if err := tw.Close(); err != nil {
		panic(err)
	}
	if err := w.Close(); err != nil {
		panic(err)
	}

	r, err := dump.NewReader(&file, dump.ReaderOptions{})
	if err != nil {
		panic(err)
	}
	defer r.Close()
	fmt.Println("from", r.Header().SourceHost)
	for {
		t, err := r.NextTable()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			panic(err)
		}
		for {
			row, err := r.NextRow()
			if errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				panic(err)
			}
			fmt.Printf("%s: id %s, name %q, room null: %v\n", t.Name, row[0].Data, row[1].Data, row[2].Type == dump.Null)
		}
	}
	// Output:
	// from app.wippidu.net
	// school_classes: id 1, name "4a", room null: false
	// school_classes: id 2, name "4b", room null: true
}

// FileName is the name an export is saved under.
func ExampleFileName() {
	fmt.Println(dump.FileName(time.Date(2026, 11, 25, 10, 11, 12, 0, time.UTC)))
	// Output: wippidu-export-20261125-101112.json.gz
}

// Inflate gives the JSON of a dump, unparsed: what reading it costs at the least.
func ExampleInflate() {
	var file bytes.Buffer
	w, err := dump.NewWriter(&file, dump.Header{SchemaVersion: dump.SchemaVersion, App: dump.App,
		ExportedAt: time.Date(2026, 11, 25, 10, 11, 12, 0, time.UTC)}, 0)
	if err != nil {
		panic(err)
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	r, err := dump.Inflate(&file)
	if err != nil {
		panic(err)
	}
	json, err := io.ReadAll(r)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.32s…\n", json)
	_, err = dump.Inflate(bytes.NewReader([]byte("hello")))
	fmt.Println(errors.Is(err, dump.ErrFormat))
	// Output:
	// {"schema_version":1,"app":"wippi…
	// true
}
