package worker_test

import (
	"context"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/dump"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/internal/poll"
	"github.com/wippidu/wippidu/internal/testdb"
	"github.com/wippidu/wippidu/jobs"
)

// TestExportDuringImportIsOneSnapshot exports an instance's own data while an
// import into it is loading: the export must not deadlock with the import, and its
// dump must hold either the complete data from before the import or the complete
// data after it, never a mixture and never the import's truncated tables.
func TestExportDuringImportIsOneSnapshot(t *testing.T) {
	t.Parallel()
	prod := newInstance(t, instanceOpts{})
	testdb.Fixture(t, prod.pool)
	testdb.BulkMessages(t, prod.pool, 6000)
	key, _ := prod.exportFile(t)

	staging := newInstance(t, instanceOpts{allowImport: true})
	testdb.Fixture(t, staging.pool)
	testdb.SlowInserts(t, staging.pool, "messages")
	oldCounts := rowCounts(t, pgtest.Checksums(t, staging.pool))

	ctx := context.Background()
	imp, err := staging.sub.Import(ctx, importRequest(upload(t, prod, staging, key)))
	if err != nil {
		t.Fatal(err)
	}
	poll.Until(t, "the import to be loading messages", time.Minute, func() bool {
		st, err := jobs.GetStatus(ctx, staging.client, staging.pool, imp.JobID)
		return err == nil && st.Phase == "loading" && st.Table == "messages" && st.RowsDone > 0
	})
	exp, err := staging.sub.Export(ctx, jobs.ExportRequest{RequestedBy: "admin@staging", IncludeAttachments: true, SourceHost: "staging.wippidu.net"})
	if err != nil {
		t.Fatal(err)
	}
	if st := staging.wait(t, imp.JobID); !st.Succeeded {
		t.Fatalf("import: %s %s", st.State, st.Error)
	}
	if st := staging.wait(t, exp.JobID); !st.Succeeded {
		t.Fatalf("export: %s %s", st.State, st.Error)
	}
	newCounts := rowCounts(t, pgtest.Checksums(t, staging.pool))
	if oldCounts["messages"] == newCounts["messages"] {
		t.Fatalf("the import did not change the messages count (%d)", newCounts["messages"])
	}

	a, err := audit.Get(ctx, staging.pool, exp.AuditID)
	if err != nil {
		t.Fatal(err)
	}
	got := dumpCounts(t, staging, *a.ObjectKey)
	t.Logf("messages: before %d, after %d, exported %d", oldCounts["messages"], newCounts["messages"], got["messages"])
	matches := func(want map[string]int64) bool {
		for table, n := range got {
			if want[table] != n {
				return false
			}
		}
		return len(got) > 0
	}
	if !matches(oldCounts) && !matches(newCounts) {
		t.Errorf("the export is neither the data before the import nor after it:\nexported %v\nbefore   %v\nafter    %v", got, oldCounts, newCounts)
	}
}

// rowCounts takes the row counts out of pgtest.Checksums, audits aside.
func rowCounts(t *testing.T, sums map[string]string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for table, sum := range sums {
		if table == "import_export_audits" {
			continue
		}
		n, err := strconv.ParseInt(sum[:strings.IndexByte(sum, ':')], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

// dumpCounts reads a stored dump and counts the rows of each table.
func dumpCounts(t *testing.T, in *instance, key string) map[string]int64 {
	t.Helper()
	f, err := in.store.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := dump.NewReader(f, dump.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for {
		tbl, err := r.NextTable()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out[tbl.Name] = 0
		for {
			if _, err := r.NextRow(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			out[tbl.Name]++
		}
	}
}
