// Package bigdump streams valid wippidu dumps of any size, for tests and benchmarks
// that must go past 2 GiB without holding anything in memory or on disk.
//
// The dump is stored gzip (no compression), so its size on the wire is what was
// asked for, and it costs no more CPU to make than copying bytes. Its rows are a
// consistent little school: one admin, one message, and as many attachments of
// MiB-sized zero bytes as the size needs. Every foreign key holds.
package bigdump

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/gzip"
)

// AttachmentBytes is the raw size of each attachment.
const AttachmentBytes = 1 << 20

// Stream returns a dump of at least size bytes (gzip), made while it is read.
// Attachments reports how many attachment rows the dump holds once it has been
// read to its end.
func Stream(size int64) *Dump {
	pr, pw := io.Pipe()
	d := &Dump{Reader: pr}
	go func() { pw.CloseWithError(d.write(pw, size)) }()
	return d
}

// Dump is a dump being made.
type Dump struct {
	io.Reader
	attachments int64
	written     int64
}

// Attachments is how many attachment rows were written.
func (d *Dump) Attachments() int64 { return d.attachments }

// Size is how many bytes of gzip were written.
func (d *Dump) Size() int64 { return d.written }

const header = `{"schema_version":1,"app":"wippidu","source_host":"big.wippidu.net","exported_at":"2026-11-25T10:00:00Z","include_attachments":true,"tables":[` +
	`{"name":"users","columns":[{"name":"id","type":"bigint"},{"name":"email","type":"text"},{"name":"first_name","type":"text"},{"name":"last_name","type":"text"},{"name":"password_hash","type":"text"},{"name":"role","type":"text"}],` +
	`"rows":[[1,"big.admin@wippidu.example","Big","Admin","$2a$10$abcdefghijklmnopqrstuuJ4gVzDlD0HBDDx4b3G9fEw8bS0hxyz2","admin"]]},` +
	`{"name":"messages","columns":[{"name":"id","type":"bigint"},{"name":"sender_id","type":"bigint"},{"name":"recipient_id","type":"bigint"},{"name":"subject","type":"text"},{"name":"body","type":"text"}],` +
	`"rows":[[1,1,1,"Anhänge","Viele große Anhänge."]]},` +
	`{"name":"attachments","columns":[{"name":"id","type":"bigint"},{"name":"message_id","type":"bigint"},{"name":"filename","type":"text"},{"name":"mime_type","type":"text"},{"name":"size_bytes","type":"bigint"},{"name":"data","type":"bytea"}],` +
	`"rows":[`

func (d *Dump) write(w io.Writer, size int64) error {
	cw := &counter{w: w, n: &d.written}
	bw := bufio.NewWriterSize(cw, 1<<20)
	zw, err := gzip.NewWriterLevel(bw, gzip.NoCompression)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(zw, header); err != nil {
		return err
	}
	// Base64 of zero bytes is all 'A's, with padding for the last one (2^20 = 3k+1).
	data := strings.Repeat("A", AttachmentBytes/3*4) + "AA=="
	for d.written < size {
		d.attachments++
		sep := ","
		if d.attachments == 1 {
			sep = ""
		}
		if _, err := fmt.Fprintf(zw, `%s[%d,1,"anhang-%d.bin","application/octet-stream",%d,"%s"]`, sep, d.attachments, d.attachments, AttachmentBytes, data); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
	}
	if _, err := io.WriteString(zw, "]}]}"); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return bw.Flush()
}

type counter struct {
	w io.Writer
	n *int64
}

func (c *counter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	*c.n += int64(n)
	return n, err
}
