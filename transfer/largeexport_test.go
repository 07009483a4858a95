package transfer_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/transfer"
)

// largeLimit is the size over which TestLargeValuesExportExactly has values
// fetched in chunks; largeSizes are the attachments it adds around it.
const largeLimit = 1000

var largeSizes = []int64{999, 1000, 1001, 2999, 3000, 3001, 10_000, 65_537}

// TestLargeValuesExportExactly exports attachments below, at and above the
// size over which values are fetched in chunks, NULL and empty values next to
// large ones in a row, and large values changed and deleted by another session
// while the export runs: the dump is byte for byte the one an export with every
// value inside its row wrote before the change, and it imports exactly.
func TestLargeValuesExportExactly(t *testing.T) {
	t.Parallel()
	src := pgtest.NewPool(t, pgtest.NewDB(t))
	seed(t, src)
	ctx := context.Background()
	// Random bytes, so that TOAST stores the large ones out of line uncompressed,
	// like real attachments.
	for _, n := range largeSizes {
		if _, err := src.Exec(ctx, `INSERT INTO attachments (message_id, filename, mime_type, size_bytes, data)
			SELECT 2, 'f' || $1::bigint, 'application/octet-stream', $1::bigint,
			       substring((SELECT decode(string_agg(md5(random()::text), ''), 'hex') FROM generate_series(0, $1::bigint / 16)) FOR $1::int)`, n); err != nil {
			t.Fatal(err)
		}
	}
	// A table of two bytea columns, not the app's: NULLs and empty values beside
	// values to fetch, and two values to fetch in one row.
	if _, err := src.Exec(ctx, `CREATE TABLE blobs (id int PRIMARY KEY, a bytea, b bytea);
		INSERT INTO blobs VALUES (1, NULL, decode(repeat('00ff5c22', 700), 'hex')), (2, '\x', NULL),
		                         (3, decode(repeat('0102', 3001), 'hex'), decode(repeat('41', 1001), 'hex')), (4, '\x2a', '\x')`); err != nil {
		t.Fatal(err)
	}
	for _, chunk := range []int64{999, 1000} { // whole base64 groups, and pieces carried over
		t.Run(fmt.Sprintf("chunks of %d", chunk), func(t *testing.T) { exportLarge(t, src, chunk) })
	}
}

// exportLarge exports src with every value inside its row, then with values
// over largeLimit fetched in chunks while another session changes them, and
// compares; it leaves the values as they were, in another order.
func exportLarge(t *testing.T, src *pgxpool.Pool, chunk int64) {
	ctx := context.Background()
	reference := dumpBody(t, export(t, src, true))
	want := appChecksums(t, src)
	lim := transfer.NewLimits().LargeValues(largeLimit, chunk)
	changed := false
	var buf bytes.Buffer
	_, err := transfer.Export(ctx, conn(t, src), &buf, lim.Apply(transfer.ExportOptions{SourceHost: "app.wippidu.net", IncludeAttachments: true,
		Progress: func(p wippidu.Progress) {
			// Under way, before the attachments: another session changes and
			// deletes values the export will fetch.
			if p.Phase == wippidu.PhaseExporting && p.Table == "users" && !changed {
				changed = true
				if _, err := src.Exec(ctx, `UPDATE attachments SET data = data || '\x00' WHERE size_bytes > 1000;
					DELETE FROM blobs WHERE id = 3`); err != nil {
					t.Error(err)
				}
			}
		}}))
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	if !changed {
		t.Fatal("progress never reported the users table")
	}
	// Back as they were, for the next export.
	if _, err := src.Exec(ctx, `UPDATE attachments SET data = substring(data FOR size_bytes::int) WHERE size_bytes > 1000;
		INSERT INTO blobs VALUES (3, decode(repeat('0102', 3001), 'hex'), decode(repeat('41', 1001), 'hex'))`); err != nil {
		t.Fatal(err)
	}
	if got := dumpBody(t, buf.Bytes()); got != reference {
		t.Error("the dump differs from the one with every value inside its row")
	}
	var queries int64
	for _, n := range append(largeSizes, 2800, 6002, 1001) {
		if n > largeLimit {
			queries += (n + chunk - 1) / chunk
		}
	}
	if n := lim.Chunks(); n != queries {
		t.Errorf("%d chunk queries, want %d", n, queries)
	}

	dst := pgtest.NewPool(t, pgtest.NewDB(t))
	if _, err := importDump(t, dst, buf.Bytes(), anon(t, anonymizer.Keys...)); err != nil {
		t.Fatalf("import: %v", err)
	}
	got := appChecksums(t, dst)
	for table, w := range want {
		if table != "blobs" && got[table] != w {
			t.Errorf("table %s: got checksum %s, want %s", table, got[table], w)
		}
	}
}

// dumpBody is a dump's JSON after its header line, which holds the export's time.
func dumpBody(t *testing.T, file []byte) string {
	t.Helper()
	_, body, ok := strings.Cut(string(gunzip(t, file)), "\n")
	if !ok {
		t.Fatal("the dump has no header line")
	}
	return body
}
