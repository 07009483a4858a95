package main

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/wippidu/wippidu/config"
)

// row is one comparison of the table: our sides against reference sides, and
// against their floor, the times of several sides (the whole refresh) summed
// round by round.
type row struct {
	what             string
	ours, ref, floor []string
	refMark          string // footnote on the reference's peak RSS
}

var header = []string{"comparison", "ours (s)", "reference (s)", "reference ÷ ours", "median", "floor (s)", "ours ÷ floor", "median",
	"peak RSS ours", "peak RSS ref."}

// The floor of each of our sides.
var (
	exportFloor  = []string{sideExportFloor}
	rawFloor     = []string{sideRawFloor}
	defaultFloor = []string{sideDefaultFloor}
	refreshFloor = []string{sideExportFloor, sideDefaultFloor}
)

// rows are the comparisons, like for like first.
func (r *runner) rows() []row {
	rows := []row{
		{what: "export (job) vs pg_dump -Fc -Z1", ours: []string{sideExportJob}, ref: []string{sideDumpZ1}, floor: exportFloor},
		{what: "export (job) vs pg_dump -Fd -j 2 -Z1", ours: []string{sideExportJob}, ref: []string{sideDumpDir}, floor: exportFloor, refMark: " ‡"},
		{what: "export (CLI) vs pg_dump -Fc -Z1", ours: []string{sideExport}, ref: []string{sideDumpZ1}, floor: exportFloor},
		{what: "import, anonymizers off (job) vs pg_restore", ours: []string{sideKeptJob}, ref: []string{sideRestore}, floor: rawFloor},
		{what: "import, anonymizers off (CLI) vs pg_restore", ours: []string{sideKeptCLI}, ref: []string{sideRestore}, floor: rawFloor},
		{what: "import, default (job) vs pg_restore †", ours: []string{sideImportJob}, ref: []string{sideRestore}, floor: defaultFloor},
		{what: "import, default (CLI) vs pg_restore †", ours: []string{sideImportCLI}, ref: []string{sideRestore}, floor: defaultFloor},
		{what: "refresh: export + default import (jobs) vs pg_dump -Fc -Z1 + pg_restore †",
			ours: []string{sideExportJob, sideImportJob}, ref: []string{sideDumpZ1, sideRestore}, floor: refreshFloor},
		{what: "refresh: export + default import (CLI) vs pg_dump -Fc -Z1 + pg_restore †",
			ours: []string{sideExport, sideImportCLI}, ref: []string{sideDumpZ1, sideRestore}, floor: refreshFloor},
	}
	if r.pgDumpDefault {
		rows = append(rows, row{what: "export (job) vs pg_dump -Fc, default gzip level 6 §", ours: []string{sideExportJob}, ref: []string{sideDumpDefault},
			floor: exportFloor})
	}
	if r.otherConns > 0 {
		rows = append(rows, row{what: fmt.Sprintf("export (job): EXPORT_CONNECTIONS default (%d) vs %d", config.DefaultExportConnections, r.otherConns),
			ours: []string{sideExportJob}, ref: []string{sideExportJobConns}, floor: exportFloor})
	}
	if r.keys != nil {
		rows = append(rows, sealedRows()...)
	}
	if r.baseline != "" {
		rows = append(rows, row{what: "import, default (job) vs baseline " + r.baselineRev + "'s", ours: []string{sideImportJob}, ref: []string{sideBaselineJob},
			floor: defaultFloor},
			row{what: "import, default (CLI) vs baseline " + r.baselineRev + "'s", ours: []string{sideImportCLI}, ref: []string{sideBaselineCLI},
				floor: defaultFloor})
	}
	return rows
}

// table renders the comparisons as aligned text, then as Markdown, then the notes.
func (r *runner) table(t *tally) []string {
	var cells [][]string
	for _, rw := range r.rows() {
		cells = append(cells, t.cells(rw))
	}
	out := plain(cells)
	out = append(out, "")
	out = append(out, markdown(cells)...)
	return append(append(out, ""), r.notes(t)...)
}

// cells works out one row: each side's range over the rounds both ran in, the
// ratio of every such round, the same against the floor, and each side's
// largest peak RSS.
func (t *tally) cells(rw row) []string {
	ours, oursRSS := t.series(rw.ours)
	ref, refRSS := t.series(rw.ref)
	n := min(len(ours), len(ref))
	if n == 0 {
		return []string{rw.what, "–", "–", "–", "–", "–", "–", "–", "–", "–"}
	}
	refRatio, refMedian := ratios(ref[:n], ours[:n])
	floorSpan, floorRatio, floorMedian := "–", "–", "–"
	if floor, _ := t.series(rw.floor); len(floor) > 0 {
		m := min(len(ours), len(floor))
		floorSpan = span(floor[:m], secs)
		floorRatio, floorMedian = ratios(ours[:m], floor[:m])
	}
	return []string{rw.what, span(ours[:n], secs), span(ref[:n], secs), refRatio, refMedian, floorSpan, floorRatio, floorMedian,
		fmt.Sprintf("%.0f MB", oursRSS), fmt.Sprintf("%.0f MB%s", refRSS, rw.refMark)}
}

// ratios works out a ÷ b round by round: their range and their median.
func ratios(a, b []float64) (string, string) {
	r := make([]float64, len(a))
	for i := range a {
		r[i] = a[i] / b[i]
	}
	return span(r, times), times(median(r))
}

// series sums the sides' seconds round by round, over the rounds all of them ran
// in, and takes the largest peak RSS of any of their processes.
func (t *tally) series(sides []string) (seconds []float64, rssMB float64) {
	n := -1
	for _, s := range sides {
		if n < 0 || len(t.samples[s]) < n {
			n = len(t.samples[s])
		}
	}
	seconds = make([]float64, max(n, 0))
	for _, s := range sides {
		for i, smp := range t.samples[s] {
			if i < n {
				seconds[i] += smp.seconds
				rssMB = max(rssMB, smp.rssMB)
			}
		}
	}
	return seconds, rssMB
}

func (r *runner) notes(t *tally) []string {
	mb := func(side string) string { return fmt.Sprintf("%s %.1f MB", side, float64(t.bytes[side])/1e6) }
	sizes := []string{mb(sideExport) + " (gzip 1)", mb(sideDumpZ1), mb(sideDumpDir)}
	if r.pgDumpDefault {
		sizes = append(sizes, mb(sideDumpDefault))
	}
	if r.keys != nil {
		sizes = append(sizes, mb(sideExportSealed)+" (age)")
	}
	notes := []string{
		"dump sizes: " + strings.Join(sizes, "; "),
		fmt.Sprintf("rounds: %d, interleaved, each phase's order reversed every other round; ranges are min–max over the rounds.", r.rounds),
		"reference ÷ ours is worked out round by round, above 1× ours is faster; the median is of those ratios.",
		"job: the job's own duration_seconds (the export's file written into storage, as pg_dump writes its file; the import of the file); CLI: `worker export|import --inline`'s wall time, one process, one peak RSS: the export adds saving --out (a link to the stored file, on one filesystem here), the import reads the file where it lies (nothing is copied into storage).",
		"floor: timed in the same rounds, ours ÷ floor worked out round by round. Export: one connection reading, in one snapshot, every table the export writes with the export's own COPY … TO STDOUT (transfer.CopyTables: its order, columns and formats) into nothing. " +
			"Load: one transaction loading, into the emptied tables of pg_restore's database, binary COPY files of exactly the rows this build's import left (anonymizers off; default), made once after the first round's import, with COPY FREEZE as the import loads; no triggers fire, as with pg_restore --disable-triggers. Refresh: the export floor plus the default load floor.",
		r.floorLine(t),
		"pg_restore --single-transaction --data-only --disable-triggers of the -Z1 dump into truncated tables; it skips the foreign keys, every import of ours checks them.",
		"refresh: the whole default refresh, times summed round by round; peak RSS is the larger of the two processes'.",
		"† not like for like: the default import anonymizes every row (attachments become 1×1 PNGs).",
		"‡ pg_dump -j 2 forks its workers: the figure is the largest VmHWM of the leader and its workers, not their sum.",
		"§ not like for like: gzip level 6 against our 1; first round only, the reference of earlier figures.",
	}
	if r.keys != nil {
		notes = append(notes, "¶ the same export and import with EXPORT_RECIPIENTS and IMPORT_IDENTITY (age, one key) set, timed in the same rounds: "+
			"there \"reference ÷ ours\" is encrypted ÷ plain time, 1.05× meaning 5% slower encrypted; the peak RSS columns are plain, then encrypted.")
	}
	return notes
}

// floorLine gives each floor's range of seconds and what it moved.
func (r *runner) floorLine(t *tally) string {
	secsOf := func(side string) string {
		v, _ := t.series([]string{side})
		if len(v) == 0 {
			return "–"
		}
		return span(v, secs) + " s"
	}
	mb := func(side string) float64 { return float64(t.bytes[side]) / 1e6 }
	return fmt.Sprintf("floors: export %s (%.1f MB from PostgreSQL); load, anonymizers off %s (%.1f MB of binary COPY); load, default %s (%.1f MB); "+
		"inflate %s (the %.1f MB dump to %.1f MB by the import's reader, dump.Inflate, on one core, not parsed).",
		secsOf(sideExportFloor), mb(sideExportFloor), secsOf(sideRawFloor), mb(sideRawFloor), secsOf(sideDefaultFloor), mb(sideDefaultFloor),
		secsOf(sideInflate), mb(sideExport), mb(sideInflate))
}

func plain(rows [][]string) []string {
	width := make([]int, len(header))
	for _, r := range append([][]string{header}, rows...) {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	line := func(r []string) string {
		var b strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i == 0 {
				b.WriteString(c + pad)
			} else {
				b.WriteString("  " + pad + c)
			}
		}
		return b.String()
	}
	out := []string{line(header)}
	for _, r := range rows {
		out = append(out, line(r))
	}
	return out
}

func markdown(rows [][]string) []string {
	line := func(r []string) string { return "| " + strings.Join(r, " | ") + " |" }
	sep := []string{"---"}
	for range header[1:] {
		sep = append(sep, "---:")
	}
	out := []string{line(header), "|" + strings.Join(sep, "|") + "|"}
	for _, r := range rows {
		out = append(out, line(r))
	}
	return out
}

// span is "min–max" ("1.10–1.30×"), or one figure when every round gave the same.
func span(v []float64, f func(float64) string) string {
	lo, hi := f(slices.Min(v)), f(slices.Max(v))
	if lo == hi {
		return lo
	}
	return strings.TrimSuffix(lo, "×") + "–" + hi
}

func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func secs(v float64) string {
	if v < 10 {
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func times(v float64) string { return fmt.Sprintf("%.2f×", v) }
