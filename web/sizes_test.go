package web_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/riverqueue/river"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/jobs"
)

// Sizes past 32 bits: a 3 GiB upload, a 5 TiB export, three billion rows.
const (
	size3GiB  = int64(3) << 30
	size5TiB  = int64(5) << 40
	rows3Bn   = int64(3_000_000_007)
	rowsTable = int64(2_147_483_659) // just past 2^31
)

// TestCountsPast32BitsReadBackExactly records an import of a 3 GiB dump and an
// export of 5 TiB through the code paths the jobs use (the audit row written by the
// submitter and by audit.Succeed, the job's output as workers write it, the status
// JSON, the page) and reads every figure back exactly.
func TestCountsPast32BitsReadBackExactly(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{allowImport: true})
	ctx := context.Background()
	sub := &jobs.Submitter{Pool: e.pool, Client: e.client, Config: e.cfg}
	imp, err := sub.Import(ctx, jobs.ImportRequest{
		ImportGate:  jobs.ImportGate{ConfirmHost: stagingHost, ActualHost: stagingHost},
		RequestedBy: adminEmail, FileName: "wippidu-export-20261125-101112.json.gz", ObjectKey: "imports/big.json.gz", Size: size3GiB,
	})
	if err != nil {
		t.Fatal(err)
	}
	// Progress as a worker reports it while the import runs.
	out := jobs.Output{Progress: wippidu.Progress{Phase: wippidu.PhaseLoading, Table: "messages", RowsDone: rows3Bn, BytesDone: size3GiB - 1},
		BytesTotal: size3GiB, AuditID: imp.AuditID}
	if _, err := e.client.JobUpdate(ctx, imp.JobID, &river.JobUpdateParams{Output: out}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.login(adminEmail)
	var st struct {
		RowsDone   int64 `json:"rows_done"`
		BytesDone  int64 `json:"bytes_done"`
		BytesTotal int64 `json:"bytes_total"`
	}
	id := strconv.FormatInt(imp.AuditID, 10)
	if err := json.Unmarshal(b.get("/admin/data/jobs/"+id, true).Body.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	if st.RowsDone != rows3Bn || st.BytesDone != size3GiB-1 || st.BytesTotal != size3GiB {
		t.Errorf("status JSON: %+v, want %d rows, %d of %d bytes", st, rows3Bn, size3GiB-1, size3GiB)
	}
	page := b.get("/admin/data?job="+strconv.FormatInt(imp.AuditID, 10), false).Body.String()
	for _, want := range []string{"3.0 GiB of 3.0 GiB", `id="job-rows">3,000,000,007<`} {
		if !strings.Contains(page, want) {
			t.Errorf("progress box lacks %q", want)
		}
	}

	// The import's result, recorded as the import's transaction records it.
	res := wippidu.ImportResult{Rows: rows3Bn, Tables: []wippidu.TableCount{{Name: "messages", Rows: rowsTable}}}
	if err := audit.Succeed(ctx, e.pool, audit.Success{ID: imp.AuditID, Result: res}); err != nil {
		t.Fatal(err)
	}
	rec, err := audit.Get(ctx, e.pool, imp.AuditID)
	if err != nil {
		t.Fatal(err)
	}
	var got wippidu.ImportResult
	if err := json.Unmarshal(rec.Result, &got); err != nil {
		t.Fatal(err)
	}
	if rec.SizeBytes == nil || *rec.SizeBytes != size3GiB || got.Rows != rows3Bn || got.Tables[0].Rows != rowsTable {
		t.Errorf("import audit: size %v, result %+v", rec.SizeBytes, got)
	}

	// An export of 5 TiB, as the export worker records it.
	exp, err := sub.Export(ctx, jobs.ExportRequest{RequestedBy: adminEmail, IncludeAttachments: true, SourceHost: stagingHost})
	if err != nil {
		t.Fatal(err)
	}
	eres := wippidu.ExportResult{Rows: rows3Bn, Bytes: size5TiB, Tables: []wippidu.TableCount{{Name: "attachments", Rows: rowsTable}}}
	if err := audit.Succeed(ctx, e.pool, audit.Success{ID: exp.AuditID, Result: eres, ObjectKey: "exports/1/wippidu-export-20261125-101112.json.gz",
		FileName: "wippidu-export-20261125-101112.json.gz", SizeBytes: size5TiB}); err != nil {
		t.Fatal(err)
	}
	if rec, err = audit.Get(ctx, e.pool, exp.AuditID); err != nil {
		t.Fatal(err)
	}
	var gotExp wippidu.ExportResult
	if err := json.Unmarshal(rec.Result, &gotExp); err != nil {
		t.Fatal(err)
	}
	if rec.SizeBytes == nil || *rec.SizeBytes != size5TiB || gotExp.Bytes != size5TiB || gotExp.Rows != rows3Bn {
		t.Errorf("export audit: size %v, result %+v", rec.SizeBytes, gotExp)
	}
	if page := b.get("/admin/data", false).Body.String(); !strings.Contains(page, "5.0 TiB") {
		t.Errorf("the page's recent exports lack the 5.0 TiB export")
	}
}
