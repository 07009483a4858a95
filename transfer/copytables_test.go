package transfer_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/transfer"
)

// TestCopyTablesReadsWhatTheExportReads: the export's floor reads the rows the
// export writes, binary values in binary COPY format, and none of them when
// attachments are left out.
func TestCopyTablesReadsWhatTheExportReads(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t, pgtest.NewDB(t))
	seed(t, pool)
	ctx := context.Background()
	binarySignature := []byte("PGCOPY\n\xff\r\n\x00")
	for _, attachments := range []bool{true, false} {
		res, err := transfer.Export(ctx, conn(t, pool), &bytes.Buffer{}, transfer.ExportOptions{IncludeAttachments: attachments})
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		rows, err := transfer.CopyTables(ctx, conn(t, pool), attachments, &out)
		if err != nil {
			t.Fatalf("CopyTables: %v", err)
		}
		if rows != res.Rows || rows == 0 {
			t.Errorf("attachments %v: CopyTables read %d rows, want the export's %d", attachments, rows, res.Rows)
		}
		if got := bytes.Contains(out.Bytes(), binarySignature); got != attachments {
			t.Errorf("attachments %v: binary COPY output read: %v, want %v", attachments, got, attachments)
		}
	}
}
