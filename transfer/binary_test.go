package transfer_test

import (
	"context"
	"testing"

	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/internal/pgtest"
)

// TestBinaryLoadFallsBackToTextExactly loads a table of binary values whose rows
// include a value binary COPY is not written for here (a timestamp before
// Christ) after rows it is (±infinity, a year past 9999): the load goes on in
// text format from that row, and every table arrives byte for byte with the
// anonymizers off, and completely with them on.
func TestBinaryLoadFallsBackToTextExactly(t *testing.T) {
	t.Parallel()
	src := pgtest.NewPool(t, pgtest.NewDB(t))
	seed(t, src)
	ctx := context.Background()
	// Binary-ready rows first, then one only text format can carry, then more.
	if _, err := src.Exec(ctx, `
		UPDATE attachments SET created_at = 'infinity', updated_at = '-infinity' WHERE id = 1;
		UPDATE attachments SET created_at = '0044-03-15 12:00:00.5+00 BC' WHERE id = 2;
		INSERT INTO attachments (id, message_id, filename, mime_type, size_bytes, data, created_at)
		SELECT 10 + g, 1, 'f' || g || E'\t\\.txt', 'text/plain', 3, decode('00ff5c', 'hex'), '294276-12-31 23:59:59.999999+00'
		FROM generate_series(1, 50) g;`); err != nil {
		t.Fatal(err)
	}
	file := export(t, src, true)
	want := appChecksums(t, src)
	for _, off := range [][]string{anonymizer.Keys, nil} {
		dst := pgtest.NewPool(t, pgtest.NewDB(t))
		res, err := importDump(t, dst, file, anon(t, off...))
		if err != nil {
			t.Fatalf("import with %v off: %v", off, err)
		}
		got := appChecksums(t, dst)
		if off == nil {
			var n int
			if err := dst.QueryRow(ctx, `SELECT count(*) FROM attachments WHERE created_at < '0001-01-01' AND id = 2`).Scan(&n); err != nil || n != 1 {
				t.Errorf("the BC timestamp did not arrive: %d %v", n, err)
			}
			if res.Rows == 0 {
				t.Error("no rows")
			}
			continue
		}
		sameTables(t, want, got)
	}
}
