package main_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/wippidu/wippidu/dump"
	"github.com/wippidu/wippidu/internal/procmem"
	"github.com/wippidu/wippidu/internal/testdb"
)

// bigValueBytes is the attachment TestExportStreamsLargeValues exports: more
// than a dump reader accepts by default, so a whole value held anywhere in the
// worker would show in its peak RSS.
const bigValueBytes = 80 << 20

// maxExportRSS is the most the exporting process may hold resident.
const maxExportRSS = 100 << 20

// TestExportStreamsLargeValues has the worker binary export a database holding
// one attachment of 80 MiB of random bytes: the value is read in chunks on a
// second connection and base64-encoded into the dump as it comes, so the
// process's peak RSS stays far below the value's size, and the dump holds the
// value exactly.
func TestExportStreamsLargeValues(t *testing.T) {
	if testing.Short() {
		t.Skip("exports an 80 MiB attachment; skipped with -short")
	}
	prod := newInstance(t, false)
	testdb.Fixture(t, prod.pool)
	ctx := context.Background()
	// Made on the server, 16 random bytes at a time, so that this process never
	// holds it; random, so that neither TOAST nor gzip shrink it.
	var id int64
	var sum []byte
	if err := prod.pool.QueryRow(ctx, `
		INSERT INTO attachments (message_id, filename, mime_type, size_bytes, data)
		SELECT 1, 'big.bin', 'application/octet-stream', $1::bigint,
		       (SELECT decode(string_agg(md5(random()::text), ''), 'hex') FROM generate_series(1, $1::bigint / 16))
		RETURNING id, sha256(data)`, bigValueBytes).Scan(&id, &sum); err != nil {
		t.Fatal(err)
	}

	path := filepath.Join(t.TempDir(), "prod.json.gz")
	c := prod.cmd("export", "--inline", "--out", path)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	start := time.Now()
	rss, err := procmem.Run(c)
	if err != nil {
		t.Fatalf("export: %v\n%s", err, tail(stderr.String(), 2000))
	}
	took := time.Since(start)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("exported an %d MiB attachment in %s into a %d MB dump; peak RSS %d MB", bigValueBytes>>20, took.Round(time.Millisecond), st.Size()>>20, rss>>20)
	if rss > maxExportRSS {
		t.Errorf("peak RSS of the export: %d MB, want under %d MB", rss>>20, maxExportRSS>>20)
	}

	got, err := attachmentSum(path, id)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, sum) {
		t.Errorf("the dump's attachment %d has sha256 %s, the database's is %s", id, hex.EncodeToString(got), hex.EncodeToString(sum))
	}
}

// attachmentSum reads the dump at path and returns the sha256 of the data of
// the attachment with the given id. The test's own memory does not matter: the
// reader may hold the value's base64 whole.
func attachmentSum(path string, id int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := dump.NewReader(f, dump.ReaderOptions{MaxValueBytes: 2 * bigValueBytes})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	for {
		tab, err := r.NextTable()
		if err == io.EOF {
			return nil, errors.New("no attachments table in the dump")
		}
		if err != nil {
			return nil, err
		}
		if tab.Name != "attachments" {
			continue
		}
		idCol := slices.IndexFunc(tab.Columns, func(c dump.Column) bool { return c.Name == "id" })
		dataCol := slices.IndexFunc(tab.Columns, func(c dump.Column) bool { return c.Name == "data" })
		if idCol < 0 || dataCol < 0 {
			return nil, errors.New("attachments lack id or data in the dump")
		}
		want := []byte(strconv.FormatInt(id, 10))
		for {
			row, err := r.NextRow()
			if err == io.EOF {
				return nil, errors.New("the attachment is not in the dump")
			}
			if err != nil {
				return nil, err
			}
			if !slices.Equal(row[idCol].Data, want) {
				continue
			}
			raw, err := base64.StdEncoding.DecodeString(string(row[dataCol].Data))
			if err != nil {
				return nil, err
			}
			s := sha256.Sum256(raw)
			return s[:], nil
		}
	}
}
