package transfer_test

import (
	"context"
	"testing"

	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/dump"
	"github.com/wippidu/wippidu/internal/pgtest"
)

// TestLargeValuesStreamThroughImport imports attachments bigger than the dump
// reader keeps in memory (dump.DefaultSpillBytes of base64): they are decoded into
// a temporary file and streamed into COPY, in binary format and, after a row only
// text format can carry, in text format. Every table arrives byte for byte with
// the anonymizers off, and the attachments anonymizer still replaces them.
func TestLargeValuesStreamThroughImport(t *testing.T) {
	t.Parallel()
	src := pgtest.NewPool(t, pgtest.NewDB(t))
	seed(t, src)
	ctx := context.Background()
	big := dump.DefaultSpillBytes // raw bytes: 4/3 of that in base64
	for _, q := range []string{
		`UPDATE attachments SET data = (SELECT string_agg(sha256(int4send(g)), ''::bytea) FROM generate_series(1, $1 / 32 * 3) g) WHERE id = 1`,
		`UPDATE attachments SET created_at = '0044-03-15 12:00:00.5+00 BC', data = decode(repeat('00ff5c0a', $1 / 2), 'hex') WHERE id = 2`,
		`INSERT INTO attachments (id, message_id, filename, mime_type, size_bytes, data, created_at)
		 SELECT 10 + g, 1, 'f' || g, 'application/octet-stream', 3,
		   CASE WHEN g % 2 = 0 THEN decode(repeat('5c4e09', $1 / 3 + g), 'hex') ELSE decode('00ff5c', 'hex') END, now()
		 FROM generate_series(1, 6) g`,
	} {
		if _, err := src.Exec(ctx, q, big); err != nil {
			t.Fatal(err)
		}
	}
	var large int
	if err := src.QueryRow(ctx, `SELECT count(*) FROM attachments WHERE octet_length(data) * 4 / 3 > $1`, dump.DefaultSpillBytes).Scan(&large); err != nil || large < 4 {
		t.Fatalf("%d attachments over the spill size (%v), want at least 4", large, err)
	}
	file := export(t, src, true)
	want := appChecksums(t, src)

	dst := pgtest.NewPool(t, pgtest.NewDB(t))
	if _, err := importDump(t, dst, file, anon(t, anonymizer.Keys...)); err != nil {
		t.Fatalf("import with the anonymizers off: %v", err)
	}
	sameTables(t, want, appChecksums(t, dst))

	dst = pgtest.NewPool(t, pgtest.NewDB(t))
	if _, err := importDump(t, dst, file, anon(t)); err != nil {
		t.Fatalf("import with the anonymizers on: %v", err)
	}
	var kept int
	if err := dst.QueryRow(ctx, `SELECT count(*) FROM attachments WHERE octet_length(data) > 1000`).Scan(&kept); err != nil || kept != 0 {
		t.Errorf("%d large attachments kept by the default import (%v), want 0", kept, err)
	}
}
