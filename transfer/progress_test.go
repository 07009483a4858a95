package transfer_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/dump"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/transfer"
)

// TestProgressCountsTheWholeImport follows the progress an export and an import
// report: the dump carries PostgreSQL's row estimate, the import's bar moves with
// rows and bytes, counts the indexes, foreign keys and sequences it works
// through, never goes back, and ends at 100%.
func TestProgressCountsTheWholeImport(t *testing.T) {
	t.Parallel()
	src := pgtest.NewPool(t, pgtest.NewDB(t))
	dst := pgtest.NewPool(t, pgtest.NewDB(t))
	seed(t, src)
	// Before any ANALYZE the planner still knows roughly how many rows there are.
	var unanalyzed bytes.Buffer
	if _, err := transfer.Export(context.Background(), conn(t, src), &unanalyzed, transfer.ExportOptions{SourceHost: "app.wippidu.net"}); err != nil {
		t.Fatal(err)
	}
	if r, err := dump.NewReader(bytes.NewReader(unanalyzed.Bytes()), dump.ReaderOptions{}); err != nil || r.Header().RowsEstimate <= 0 {
		t.Errorf("rows_estimate before ANALYZE: %v %v", err, r)
	}
	if _, err := src.Exec(context.Background(), "ANALYZE"); err != nil {
		t.Fatal(err)
	}

	var exported []wippidu.Progress
	var buf bytes.Buffer
	res, err := transfer.Export(context.Background(), conn(t, src), &buf, transfer.ExportOptions{SourceHost: "app.wippidu.net",
		IncludeAttachments: true, Progress: func(p wippidu.Progress) { exported = append(exported, p) }})
	if err != nil {
		t.Fatal(err)
	}
	r, err := dump.NewReader(bytes.NewReader(buf.Bytes()), dump.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// After ANALYZE the estimate is the count (a table that is empty counts 1).
	want := res.Rows
	if got := r.Header().RowsEstimate; got < want || got > want+int64(len(res.Tables)) {
		t.Errorf("dump's rows_estimate: got %d, want %d (the rows the export wrote)", got, want)
	}
	if last := exported[len(exported)-1]; last.Percent(wippidu.KindExport, 0) < 98 {
		t.Errorf("finished export at %.1f%%: %+v", last.Percent(wippidu.KindExport, 0), last)
	}

	var seen []wippidu.Progress
	_, err = transfer.Import(context.Background(), conn(t, dst), transfer.Bytes(buf.Bytes()), transfer.ImportOptions{
		Anonymizer: anon(t), Progress: func(p wippidu.Progress) { seen = append(seen, p) }})
	if err != nil {
		t.Fatal(err)
	}
	total := int64(buf.Len())
	last, maxStep := -1.0, map[wippidu.Phase]int{}
	for _, p := range seen {
		pct := p.Percent(wippidu.KindImport, total)
		if pct < last {
			t.Errorf("progress went back from %.1f%% to %.1f%% at %+v", last, pct, p)
		}
		last = pct
		if p.Phase == wippidu.PhaseLoading && p.RowsTotal != want {
			t.Errorf("loading without the dump's estimate: %+v", p)
		}
		if p.Steps > 0 && p.Step > maxStep[p.Phase] {
			maxStep[p.Phase] = p.Step
		}
	}
	if maxStep[wippidu.PhaseSequences] == 0 {
		t.Errorf("no sequence steps counted: %v", maxStep)
	}
	if maxStep[wippidu.PhaseIndexes] == 0 {
		t.Errorf("no index builds counted: %v", maxStep)
	}
	if maxStep[wippidu.PhaseForeignKeys] == 0 {
		t.Errorf("no foreign key steps counted: %v", maxStep)
	}
	if last < 98 {
		t.Errorf("import ended its reports at %.1f%%", last)
	}
}
