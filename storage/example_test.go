package storage_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/wippidu/wippidu/storage"
)

// A storage is opened from its URL (STORAGE_URL): a local folder here, an S3
// bucket with s3://bucket/prefix?endpoint=…. Objects are streamed in and out.
func Example() {
	dir, err := os.MkdirTemp("", "wippidu-storage-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	st, err := storage.Open(ctx, "file://"+dir)
	if err != nil {
		panic(err)
	}
	n, err := st.Put(ctx, "exports/1/wippidu-export-20261125-101112.json.gz", strings.NewReader("a dump"))
	if err != nil {
		panic(err)
	}
	fmt.Println("stored", n, "bytes")
	objects, err := st.List(ctx, "exports/")
	if err != nil {
		panic(err)
	}
	for _, o := range objects {
		fmt.Println(o.Key, o.Size)
	}
	r, err := st.Open(ctx, objects[0].Key)
	if err != nil {
		panic(err)
	}
	defer r.Close()
	b, _ := io.ReadAll(r)
	fmt.Println(string(b))
	// Output:
	// stored 6 bytes
	// exports/1/wippidu-export-20261125-101112.json.gz 6
	// a dump
}
