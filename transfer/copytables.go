package transfer

import (
	"context"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"

	"github.com/wippidu/wippidu/anonymizer"
)

// CopyTables reads what an export reads, as it reads it, and nothing more: in one
// snapshot on conn, the COPY … TO STDOUT of every table an export writes, in its
// order, columns and formats (binary where the export reads binary), and hands
// PostgreSQL's output to w as it comes. It is the most one connection can send,
// the floor an export is measured against (tools/bench). Values the export
// fetches in chunks beside the COPY (over dump.LargeValueBytes) are left out, as
// in the export's COPY, and the own admins' password hashes are not swapped.
// It returns the rows read.
func CopyTables(ctx context.Context, conn *pgx.Conn, includeAttachments bool, w io.Writer) (int64, error) {
	tx, cat, _, err := snapshot(ctx, conn)
	if err != nil {
		return 0, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	var largeValue int64 // what the export leaves out of the rows to fetch in chunks
	if includeAttachments && catalogHasBytea(cat) {
		largeValue = defaultLimits().largeValue
	}
	var rows int64
	for _, t := range anonymizer.DefaultPolicy().PeopleFirst(cat) {
		c := copyOf(t, nil, includeAttachments, largeValue)
		if len(c.cols) == 0 {
			continue
		}
		tag, err := tx.Conn().PgConn().CopyTo(ctx, w, c.sql(""))
		if err != nil {
			return rows, fmt.Errorf("copy table %q: %w", t.Name, err)
		}
		rows += tag.RowsAffected()
	}
	return rows, nil
}
