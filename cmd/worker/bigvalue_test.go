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
	"strings"
	"testing"
	"time"

	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/dump"
	"github.com/wippidu/wippidu/internal/procmem"
	"github.com/wippidu/wippidu/internal/testdb"
)

// bigValueBytes is the attachment TestLargeValuesStream exports and imports:
// more than a dump reader holds by default, so a whole value held anywhere in
// the worker would show in its peak RSS.
const bigValueBytes = 80 << 20

// maxLargeRSS is the most the exporting or importing process may hold resident.
const maxLargeRSS = 100 << 20

// TestLargeValuesStream has the worker binary export a database holding one
// attachment of 80 MiB of random bytes, then import the dump with every
// anonymizer off. The export reads the value in chunks on a second connection
// and base64-encodes it into the dump as it comes; the import decodes it into a
// temporary file as it reads it and streams it from there into COPY. Both
// processes' peak RSS stays far below the value's size, and the value arrives
// exactly; the default import replaces it.
func TestLargeValuesStream(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("exports an 80 MiB attachment; skipped with -short")
	}
	prod := newInstance(t, false)
	testdb.Fixture(t, prod.pool)
	ctx := context.Background()
	// Made on the server, so that this process never holds it: one MiB of random
	// bytes, 16 at a time, repeated. Neither TOAST nor gzip shrink it: both look
	// back far less than a MiB.
	var id int64
	var sum []byte
	if err := prod.pool.QueryRow(ctx, `
		INSERT INTO attachments (message_id, filename, mime_type, size_bytes, data)
		SELECT 1, 'big.bin', 'application/octet-stream', $1::bigint,
		       (SELECT string_agg(mib, ''::bytea) FROM generate_series(1, $1::bigint >> 20),
		               (SELECT decode(string_agg(md5(random()::text), ''), 'hex') AS mib FROM generate_series(1, 65536)) r)
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
	if rss > maxLargeRSS {
		t.Errorf("peak RSS of the export: %d MB, want under %d MB", rss>>20, maxLargeRSS>>20)
	}
	if st.Size() < bigValueBytes {
		t.Errorf("the dump is %d bytes, less than the value: gzip found its repeats, unlike a real attachment's", st.Size())
	}

	got, err := attachmentSum(path, id)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, sum) {
		t.Errorf("the dump's attachment %d has sha256 %s, the database's is %s", id, hex.EncodeToString(got), hex.EncodeToString(sum))
	}

	staging := newInstance(t, true)
	c = staging.cmd("import", "--inline", "--confirm-host", "staging.wippidu.net",
		"--keep", strings.Join(anonymizer.Keys, ","), "--risk-ack", anonymizer.RiskAck, path)
	stderr.Reset()
	c.Stderr = &stderr
	start = time.Now()
	if rss, err = procmem.Run(c); err != nil {
		t.Fatalf("import: %v\n%s", err, tail(stderr.String(), 2000))
	}
	t.Logf("imported it with every anonymizer off in %s; peak RSS %d MB", time.Since(start).Round(time.Millisecond), rss>>20)
	if rss > maxLargeRSS {
		t.Errorf("peak RSS of the import: %d MB, want under %d MB", rss>>20, maxLargeRSS>>20)
	}
	var stagingSum []byte
	if err := staging.pool.QueryRow(ctx, `SELECT sha256(data) FROM attachments WHERE id = $1`, id).Scan(&stagingSum); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(stagingSum, sum) {
		t.Errorf("staging's attachment %d has sha256 %s, production's is %s", id, hex.EncodeToString(stagingSum), hex.EncodeToString(sum))
	}

	// The default import skips the value, however long, and loads a placeholder.
	anonymized := newInstance(t, true)
	c = anonymized.cmd("import", "--inline", "--confirm-host", "staging.wippidu.net", path)
	stderr.Reset()
	c.Stderr = &stderr
	if err := c.Run(); err != nil {
		t.Fatalf("default import: %v\n%s", err, tail(stderr.String(), 2000))
	}
	var size int64
	if err := anonymized.pool.QueryRow(ctx, `SELECT octet_length(data) FROM attachments WHERE id = $1`, id).Scan(&size); err != nil || size >= 1<<20 {
		t.Errorf("the default import loaded %d bytes for the attachment (%v), want its small placeholder", size, err)
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
