// Command bench measures wippidu's export and import against pg_dump and pg_restore
// on the same demo database, in the same run, and prints one table.
//
//	TEST_DATABASE_URL=postgres://… go run ./tools/bench [-users N] [-rounds R] [-h]
//
// Our side runs as the real worker binary (`worker export --inline`, `worker import
// --inline`), so its wall time and peak RSS are measured from the outside, like
// pg_dump's and pg_restore's. Each round times, interleaved:
//
//   - our export (gzip level 1) against `pg_dump -Fc -Z1` and `pg_dump -Fd -j 2 -Z1`
//     of the same app tables, and (first round only) the default `pg_dump -Fc`, whose
//     gzip level 6 is not like for like but is what earlier figures compared with;
//   - our import with every anonymizer off, and the default import (every anonymizer
//     on), each as the job's duration and as the CLI's wall time including the
//     upload to storage, against `pg_restore --single-transaction --data-only
//     --disable-triggers` of the -Z1 dump into freshly truncated tables;
//   - the same export, and import with every anonymizer off, encrypted with age
//     (-sealed): the cost of encryption, encrypted ÷ plain round by round;
//   - with -baseline, another revision's default import;
//   - the floor of each of our sides: one connection reading what the export reads
//     (transfer.CopyTables), one transaction loading binary COPY files of exactly
//     the rows each import writes, and the dump inflated without parsing.
//
// The machine is shared and one run differs from the next by as much as ±30%, so
// every side runs in every round (the order reversed every other round) and the
// table gives ranges, and the reference ÷ ours ratio worked out round by round. Our
// import keeps every foreign key checked, where pg_restore --disable-triggers skips
// them; the default import also anonymizes every row, so it is never like for like.
//
// Around the table: peak RSS of export and import on smaller databases and on huge
// attachments (it must not grow with the dump), the people dictionary's memory, and
// the web tier's peak RSS during a large upload and its progress-poll latency.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/wippidu/wippidu/internal/pgcluster"
)

// appTables are the tables a refresh carries, the ones pg_dump is given too.
var appTables = []string{"users", "school_classes", "students", "guardianships", "messages",
	"parental_letters", "letter_acknowledgements", "attachments"}

// options are the bench's flags.
type options struct {
	users, attachKB int
	rssSizes        string
	bigKB           int
	uploadGB        float64
	pollers         int
	rounds          int
	baselineRev     string
	pgDumpDefault   bool
	sealed          bool
	otherConns      int // EXPORT_CONNECTIONS of a second export job, 0 for none
}

// runner is what every measurement needs: the flags, the server, the scratch
// directory and the binaries.
type runner struct {
	options
	server   string   // TEST_DATABASE_URL
	work     string   // scratch directory, emptied first
	pgBin    string   // PostgreSQL's binaries
	baseline string   // the -baseline revision's worker binary, "" without
	keys     *ageKeys // the encrypted sides' keys; nil without -sealed
	// floors holds the binary COPY files of each load floor, by side, once made.
	floors map[string][]copyFile
}

func main() {
	var o options
	flag.IntVar(&o.users, "users", 20000, "demo users (about 10 messages each)")
	flag.IntVar(&o.attachKB, "attachment-kb", 64, "average attachment size in KiB")
	flag.IntVar(&o.rounds, "rounds", 3, "interleaved rounds of every timed side on the full database")
	flag.BoolVar(&o.pgDumpDefault, "pgdump-default", true, "also time the default pg_dump -Fc (gzip level 6) once, in the first round, as a reference row")
	flag.IntVar(&o.otherConns, "export-connections", 2, "also time the export job with EXPORT_CONNECTIONS set to this, against the default (0 for none)")
	flag.BoolVar(&o.sealed, "sealed", true, "also time the export and the import (anonymizers off) encrypted with age, for the cost of encryption as a ratio")
	flag.StringVar(&o.baselineRev, "baseline", "", "a git revision whose worker's default import is timed in the same rounds, or the path of a worker binary built from one")
	flag.StringVar(&o.rssSizes, "rss-sizes", "4", "also measure peak RSS on a demo database this many times smaller (comma-separated divisors, empty for none)")
	flag.IntVar(&o.bigKB, "big-attachment-kb", 32768, "also measure peak RSS with attachments this big on average, up to twice that (0 for none)")
	flag.Float64Var(&o.uploadGB, "upload-gb", 2, "measure the web tier's peak RSS while streaming an upload this big (0 for none)")
	flag.IntVar(&o.pollers, "pollers", 50, "measure progress-poll latency from this many clients during an import (0 for none)")
	flag.Usage = usage
	flag.Parse()
	if o.rounds < 1 {
		fmt.Fprintln(os.Stderr, "bench: -rounds must be at least 1")
		os.Exit(2)
	}
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprint(flag.CommandLine.Output(), `Usage: TEST_DATABASE_URL=postgres://… bench [flags]   (make bench starts a private PostgreSQL)

On a demo database of -users users, -rounds interleaved rounds (each phase's
order reversed every other round) time, as wall time and peak RSS of the process:
  export:  wippidu export (gzip 1) | pg_dump -Fc -Z1 | pg_dump -Fd -j 2 -Z1
           (and, first round only, the default pg_dump -Fc: -pgdump-default)
  import:  wippidu import, every anonymizer off | wippidu's default import (it
           anonymizes: not like for like) | pg_restore --single-transaction
           --data-only --disable-triggers of the -Z1 dump into truncated tables;
           ours as the job (duration_seconds) and as the CLI (the whole process)
  refresh: wippidu export + default import (CLI) | pg_dump -Fc -Z1 + pg_restore
  connections (-export-connections): the export job with EXPORT_CONNECTIONS set
           to another count | the same with the default
  encryption (-sealed): export and import (anonymizers off) encrypted with age |
           the same in the clear, as encrypted ÷ plain time
  floors:  the export's COPY … TO STDOUT on one connection into nothing | binary
           COPY files of the rows each import wrote, loaded in one transaction |
           the dump inflated by the import's reader, not parsed
and prints one table, plain and Markdown: each side's min–max seconds, the
reference ÷ ours ratio worked out round by round (min–max, median), the same
against the floor (ours ÷ floor), peak RSS, dump sizes. Then peak RSS on smaller
databases and huge attachments (-rss-sizes, -big-attachment-kb), the people
dictionary's memory, the web tier's peak RSS during an upload (-upload-gb) and
its progress-poll latency (-pollers).

Flags:
`)
	flag.PrintDefaults()
}

func run(ctx context.Context, o options) error {
	r, err := newRunner(o)
	if err != nil {
		return err
	}
	var rssRows []string
	for _, d := range strings.Split(o.rssSizes, ",") {
		var div int
		fmt.Sscan(d, &div)
		if div <= 1 {
			continue
		}
		rows, err := r.once(ctx, o.users/div, o.attachKB, "small")
		if err != nil {
			return err
		}
		rssRows = append(rssRows, rows...)
	}
	if o.bigKB > 0 {
		// Few users, huge attachments: rows of several megabytes each.
		// About 1 GB of attachments whatever their size.
		rows, err := r.once(ctx, max(20, 150*8192/o.bigKB), o.bigKB, "bigattach")
		if err != nil {
			return err
		}
		rssRows = append(rssRows, rows...)
	}
	rows, err := r.compare(ctx)
	if err != nil {
		return err
	}
	dict, err := dictionaryMemory()
	if err != nil {
		return err
	}
	fmt.Println(strings.Join(rows, "\n"))
	fmt.Println("\nMemory:\n" + dict)
	if len(rssRows) > 0 {
		fmt.Println("\nPeak RSS on other databases (memory must not grow with dump size):")
		fmt.Println(strings.Join(rssRows, "\n"))
	}
	return nil
}

// newRunner empties the scratch directory and builds the binaries.
func newRunner(o options) (*runner, error) {
	r := &runner{options: o, server: os.Getenv("TEST_DATABASE_URL"), floors: map[string][]copyFile{}}
	if r.server == "" {
		return nil, fmt.Errorf("TEST_DATABASE_URL is required (make bench starts a private PostgreSQL)")
	}
	var err error
	if r.work, err = filepath.Abs(".tmp/bench"); err != nil {
		return nil, err
	}
	os.RemoveAll(r.work)
	if err := os.MkdirAll(filepath.Join(r.work, "bin"), 0o755); err != nil {
		return nil, err
	}
	step("building the worker")
	if out, err := exec.Command("go", "build", "-o", filepath.Join(r.work, "bin")+"/", "./cmd/worker", "./cmd/web", "./cmd/demodata").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build: %v\n%s", err, out)
	}
	if r.pgBin, err = pgcluster.BinDir(); err != nil {
		return nil, err
	}
	if r.baseline, err = buildBaseline(r.work, o.baselineRev); err != nil {
		return nil, err
	}
	if o.sealed {
		if r.keys, err = newAgeKeys(r.work); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// compare measures the full database in rounds and renders the table, then the web
// tier with the last round's dump.
func (r *runner) compare(ctx context.Context) ([]string, error) {
	db, err := r.demo(ctx, r.users, r.attachKB, "full")
	if err != nil {
		return nil, err
	}
	t := newTally()
	var files roundFiles
	for n := 1; n <= r.rounds; n++ {
		if files, err = r.round(ctx, db, n, t); err != nil {
			return nil, err
		}
	}
	out := []string{fmt.Sprintf("database %s: %.2f GB on disk, %d rows", db.label, float64(db.bytes)/1e9, db.rows), ""}
	out = append(out, r.table(t)...)
	if r.uploadGB > 0 || r.pollers > 0 {
		w, err := r.webBench(ctx, files.ours)
		if err != nil {
			return nil, err
		}
		out = append(out, "", "Web tier:")
		out = append(out, w...)
	}
	return out, nil
}
