package wippidu

import (
	"math"
	"testing"
)

func TestFormatCount(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{
		0: "0", 7: "7", 999: "999", 1000: "1,000", 49109: "49,109", 184220: "184,220",
		3_000_000_007: "3,000,000,007", -1234567: "-1,234,567", math.MinInt64: "-9,223,372,036,854,775,808",
	} {
		if got := FormatCount(n); got != want {
			t.Errorf("FormatCount(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{
		0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 90_500_000: "86.3 MiB",
		3 << 30: "3.0 GiB", 5 << 40: "5.0 TiB", -2048: "-2.0 KiB",
	} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestPhaseLabelsNameEveryPhase(t *testing.T) {
	t.Parallel()
	for _, p := range []Phase{PhaseExporting, PhaseReading, PhasePeople, PhasePreparing, PhaseLoading, PhaseIndexes,
		PhaseForeignKeys, PhaseSequences, PhaseLeakCheck, PhaseCommitting, PhaseSampling, PhaseRecording, PhaseDone} {
		if got := PhaseLabel(p); got == string(p) || got == "" {
			t.Errorf("PhaseLabel(%q) = %q, want a name for people", p, got)
		}
	}
	if got := PhaseLabel("something_new"); got != "something_new" {
		t.Errorf("unknown phase: got %q", got)
	}
}

// TestPercentMovesWithTheWork follows an import through its phases: the bar never
// goes back, moves with rows while few bytes are read (many small rows first, a
// table of large attachments last), and keeps moving through the foreign keys.
func TestPercentMovesWithTheWork(t *testing.T) {
	t.Parallel()
	const bytesTotal, rowsTotal = 1000, 500_000
	steps := []Progress{
		{Phase: PhaseReading},
		{Phase: PhasePreparing},
		{Phase: PhasePeople},
		{Phase: PhaseLoading, RowsDone: 0, BytesDone: 0, RowsTotal: rowsTotal},
		{Phase: PhaseLoading, RowsDone: 225_000, BytesDone: 30, RowsTotal: rowsTotal},
		{Phase: PhaseLoading, RowsDone: 480_000, BytesDone: 100, RowsTotal: rowsTotal},
		{Phase: PhaseLoading, RowsDone: 500_000, BytesDone: 1000, RowsTotal: rowsTotal},
		{Phase: PhaseIndexes, Steps: 20},
		{Phase: PhaseIndexes, Step: 20, Steps: 20},
		{Phase: PhaseForeignKeys, Steps: 10},
		{Phase: PhaseForeignKeys, Step: 5, Steps: 10},
		{Phase: PhaseForeignKeys, Step: 10, Steps: 10},
		{Phase: PhaseSequences, Step: 3, Steps: 8},
		{Phase: PhaseLeakCheck},
		{Phase: PhaseCommitting},
		{Phase: PhaseRecording},
		{Phase: PhaseDone},
	}
	last := -1.0
	for _, p := range steps {
		got := p.Percent(KindImport, bytesTotal)
		if got < last || got < 0 || got > 100 {
			t.Errorf("%+v: %.1f%% after %.1f%%", p, got, last)
		}
		last = got
	}
	if last != 100 {
		t.Errorf("done: %.1f%%, want 100", last)
	}
	// 45% of the rows but 3% of the bytes: the bar is near a quarter, not at 3%.
	mid := Progress{Phase: PhaseLoading, RowsDone: 225_000, BytesDone: 30, RowsTotal: rowsTotal}.Percent(KindImport, bytesTotal)
	if mid < 20 || mid > 30 {
		t.Errorf("45%% of rows, 3%% of bytes: %.1f%%, want 20–30%%", mid)
	}
	// Halfway through the foreign keys is between the load's end and the next phase.
	fk := Progress{Phase: PhaseForeignKeys, Step: 5, Steps: 10}.Percent(KindImport, bytesTotal)
	if fk <= 85 || fk >= 95 {
		t.Errorf("half the foreign keys: %.1f%%, want between 85 and 95", fk)
	}
	// Without a row estimate (an older dump), bytes alone move it.
	if got := (Progress{Phase: PhaseLoading, BytesDone: 500}).Percent(KindImport, bytesTotal); got < 40 || got > 50 {
		t.Errorf("half the bytes, no row estimate: %.1f%%", got)
	}
	// An export moves with rows.
	if got := (Progress{Phase: PhaseExporting, RowsDone: 50, RowsTotal: 100}).Percent(KindExport, 0); got < 45 || got > 55 {
		t.Errorf("export half way: %.1f%%", got)
	}
}
