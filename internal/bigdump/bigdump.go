// Package bigdump streams valid wippidu dumps of any size, for tests and benchmarks
// that must go past 2 GiB without holding anything in memory or on disk.
//
// The dump is stored gzip (no compression), so its size on the wire is what was
// asked for, and it costs no more CPU to make than copying bytes: the gzip member
// of an attachment's value is made once and repeated. Its rows are a
// consistent little school: one admin, one message, and as many attachments of
// MiB-sized zero bytes as the size needs. Every foreign key holds.
package bigdump

import (
	"bufio"
	"bytes"
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
	// Every attachment's value is the same, so its gzip member is made once and
	// written as it is each time: a gzip file may hold many members, and the dump
	// reader reads them as one stream.
	// Base64 of zero bytes is all 'A's, with padding for the last one (2^20 = 3k+1).
	data, err := member(strings.Repeat("A", AttachmentBytes/3*4) + `AA=="]`)
	if err != nil {
		return err
	}
	if err := writeMember(bw, header); err != nil {
		return err
	}
	for d.written < size {
		d.attachments++
		sep := ","
		if d.attachments == 1 {
			sep = ""
		}
		if err := writeMember(bw, fmt.Sprintf(`%s[%d,1,"anhang-%d.bin","application/octet-stream",%d,"`, sep, d.attachments, d.attachments, AttachmentBytes)); err != nil {
			return err
		}
		if _, err := bw.Write(data); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
	}
	if err := writeMember(bw, "]}]}"); err != nil {
		return err
	}
	return bw.Flush()
}

// member is s as one gzip member, stored without compression.
func member(s string) ([]byte, error) {
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.NoCompression)
	if err != nil {
		return nil, err
	}
	if _, err := io.WriteString(zw, s); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func writeMember(w io.Writer, s string) error {
	b, err := member(s)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
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
