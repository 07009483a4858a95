// Command bench measures wippidu's export and import against pg_dump and pg_restore
// on the same demo database, in the same run, and prints the figures.
//
//	TEST_DATABASE_URL=postgres://… go run ./internal/cmd/bench [-users N] [-attachment-kb K]
//
// Our side runs as the real worker binary (`worker export --inline`, `worker import
// --inline`), so its peak RSS is measured from the outside. The comparison is with
// `pg_dump -Fc` and `pg_restore --single-transaction --data-only --disable-triggers`
// of the same app tables; unlike that restore, our import keeps every foreign key
// checked and anonymizes every row.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wippidu/wippidu/internal/pgcluster"
)

var appTables = []string{"users", "school_classes", "students", "guardianships", "messages",
	"parental_letters", "letter_acknowledgements", "attachments"}

type measurement struct {
	name    string
	seconds float64
	rssMB   float64
	bytes   int64
	note    string
}

func main() {
	users := flag.Int("users", 20000, "demo users (about 10 messages each)")
	attachKB := flag.Int("attachment-kb", 64, "average attachment size in KiB")
	sizes := flag.String("rss-sizes", "4", "also measure peak RSS on a demo database this many times smaller (comma-separated divisors, empty for none)")
	bigKB := flag.Int("big-attachment-kb", 8192, "also measure peak RSS with attachments this big on average (0 for none)")
	uploadGB := flag.Float64("upload-gb", 2, "measure the web tier's peak RSS while streaming an upload this big (0 for none)")
	pollers := flag.Int("pollers", 50, "measure progress-poll latency from this many clients during an import (0 for none)")
	flag.IntVar(&benchOpts.rounds, "rounds", 3, "interleaved rounds of the default import (with -baseline: of both)")
	flag.StringVar(&benchOpts.baselineRev, "baseline", "", "a git revision whose worker's default import is timed in the same rounds")
	flag.Parse()
	webOpts = webOptions{uploadGB: *uploadGB, pollers: *pollers}
	if err := run(*users, *attachKB, *sizes, *bigKB); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// benchOpts are the options of the default-import rounds.
var benchOpts struct {
	rounds      int
	baselineRev string
	baseline    string // the baseline's worker binary
}

type webOptions struct {
	uploadGB float64
	pollers  int
}

var webOpts webOptions

func run(users, attachKB int, sizes string, bigKB int) error {
	server := os.Getenv("TEST_DATABASE_URL")
	if server == "" {
		return fmt.Errorf("TEST_DATABASE_URL is required (make bench starts a private PostgreSQL)")
	}
	ctx := context.Background()
	work, err := filepath.Abs(".tmp/bench")
	if err != nil {
		return err
	}
	os.RemoveAll(work)
	if err := os.MkdirAll(filepath.Join(work, "bin"), 0o755); err != nil {
		return err
	}
	step("building the worker")
	if out, err := exec.Command("go", "build", "-o", filepath.Join(work, "bin")+"/", "./cmd/worker", "./cmd/web", "./cmd/demodata").CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v\n%s", err, out)
	}
	pgBin, err := pgcluster.BinDir()
	if err != nil {
		return err
	}
	if benchOpts.baseline, err = buildBaseline(work, benchOpts.baselineRev); err != nil {
		return err
	}

	var rssRows []string
	if sizes != "" {
		for _, d := range strings.Split(sizes, ",") {
			var div int
			fmt.Sscan(d, &div)
			if div <= 1 {
				continue
			}
			r, err := bench(ctx, server, work, pgBin, users/div, attachKB, "small", false)
			if err != nil {
				return err
			}
			rssRows = append(rssRows, r...)
		}
	}
	if bigKB > 0 {
		// Few users, huge attachments: rows of several megabytes each.
		r, err := bench(ctx, server, work, pgBin, 150, bigKB, "bigattach", false)
		if err != nil {
			return err
		}
		rssRows = append(rssRows, r...)
	}
	rows, err := bench(ctx, server, work, pgBin, users, attachKB, "full", true)
	if err != nil {
		return err
	}
	dict, err := dictionaryMemory()
	if err != nil {
		return err
	}
	fmt.Println(strings.Join(append(rows, dict), "\n"))
	if len(rssRows) > 0 {
		fmt.Println("\nPeak RSS on a smaller database (memory must not grow with dump size):")
		fmt.Println(strings.Join(rssRows, "\n"))
	}
	return nil
}

// bench builds a demo database and measures everything on it.
func bench(ctx context.Context, server, work, pgBin string, users, attachKB int, label string, compare bool) ([]string, error) {
	src, ours, oursKept, theirs := "bench_src_"+label, "bench_ours_"+label, "bench_ours_kept_"+label, "bench_pgrestore_"+label
	for _, db := range []string{src, ours, oursKept, theirs} {
		_ = pgcluster.DropDatabase(ctx, server, db)
		if err := pgcluster.CreateDatabase(ctx, server, db, ""); err != nil {
			return nil, err
		}
		if _, err := worker(work, dbURL(server, db), "", nil, "migrate"); err != nil {
			return nil, err
		}
	}
	step(fmt.Sprintf("demo data: %d users, attachments ~%d KiB", users, attachKB))
	gen := exec.Command(filepath.Join(work, "bin", "demodata"), "--users", fmt.Sprint(users), "--attachment-kb", fmt.Sprint(attachKB))
	gen.Env = append(os.Environ(), "DATABASE_URL="+dbURL(server, src), "LOG_LEVEL=warn")
	gen.Stderr = os.Stderr
	if err := gen.Run(); err != nil {
		return nil, fmt.Errorf("demodata: %w", err)
	}
	conn, err := pgx.Connect(ctx, dbURL(server, src))
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "VACUUM ANALYZE"); err != nil {
		return nil, err
	}
	var dbBytes, rows int64
	if err := conn.QueryRow(ctx, "SELECT pg_database_size(current_database())").Scan(&dbBytes); err != nil {
		return nil, err
	}
	for _, t := range appTables {
		var n int64
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+t).Scan(&n); err != nil {
			return nil, err
		}
		rows += n
	}
	step(fmt.Sprintf("database: %.2f GB, %d rows", float64(dbBytes)/1e9, rows))

	storage := filepath.Join(work, "storage-"+label)
	dumpDir := filepath.Join(work, "dump-"+label)
	os.MkdirAll(dumpDir, 0o755)

	step("wippidu export")
	exp, err := worker(work, dbURL(server, src), storage, nil, "export", "--inline", "--out", dumpDir)
	if err != nil {
		return nil, err
	}
	files, _ := filepath.Glob(filepath.Join(dumpDir, "wippidu-export-*.json.gz"))
	if len(files) != 1 {
		return nil, fmt.Errorf("export file not found")
	}
	dumpFile := files[0]
	fi, _ := os.Stat(dumpFile)
	exp.bytes = fi.Size()
	exp.name = "wippidu export"

	step("wippidu import (all anonymizers on)")
	stagingEnv := []string{"APP_ALLOW_PROD_IMPORT=true", "APP_HOSTNAME=staging.localhost", "ANONYMIZER_SALT=bench"}
	imp, err := worker(work, dbURL(server, ours), storage+"-staging", stagingEnv, "import", "--inline", "--confirm-host", "staging.localhost", dumpFile)
	if err != nil {
		return nil, err
	}
	imp.name = "wippidu import (CLI: upload + job)"
	var result struct {
		Result struct {
			DurationSeconds float64 `json:"duration_seconds"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(imp.note), &result); err != nil {
		return nil, fmt.Errorf("import output: %w: %s", err, imp.note)
	}
	impJob := measurement{name: "wippidu import (job: read, anonymize, load, check FKs, commit)", seconds: result.Result.DurationSeconds, bytes: exp.bytes}
	imp.bytes = exp.bytes

	out := []string{
		fmt.Sprintf("database %s: %.2f GB on disk, %d rows; dump %.1f MB", label, float64(dbBytes)/1e9, rows, float64(exp.bytes)/1e6),
	}
	line := func(m measurement) string {
		s := fmt.Sprintf("  %-66s %7.1f s  %9.0f rows/s  %7.1f MB/s of database", m.name, m.seconds, float64(rows)/m.seconds, float64(dbBytes)/1e6/m.seconds)
		if m.rssMB > 0 {
			s += fmt.Sprintf("  peak RSS %5.0f MB", m.rssMB)
		}
		return s
	}
	if !compare {
		return append(out, line(exp), line(imp)), nil
	}

	step("wippidu import (every anonymizer off, for a like-for-like comparison)")
	kept, err := worker(work, dbURL(server, oursKept), storage+"-staging", stagingEnv, "import", "--inline", "--confirm-host", "staging.localhost",
		"--keep", "emails,names,contacts,passwords,bodies,attachments", "--risk-ack", "I_UNDERSTAND_THE_PII_RISK", dumpFile)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(kept.note), &result); err != nil {
		return nil, fmt.Errorf("import output: %w: %s", err, kept.note)
	}
	keptJob := measurement{name: "wippidu import, anonymizers off (job)", seconds: result.Result.DurationSeconds}
	kept.name = "wippidu import, anonymizers off (CLI: upload + job)"

	step("pg_dump -Fc")
	pgDumpFile := filepath.Join(work, "pgdump-"+label+".dump")
	args := []string{"-Fc", "-f", pgDumpFile, "-d", dbURL(server, src)}
	for _, t := range appTables {
		args = append(args, "-t", t)
	}
	pd, err := timed("pg_dump -Fc (same app tables)", filepath.Join(pgBin, "pg_dump"), args...)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(pgDumpFile); err == nil {
		pd.bytes = fi.Size()
	}

	step("pg_restore --single-transaction --data-only --disable-triggers")
	pr, err := timed("pg_restore --single-transaction --data-only --disable-triggers", filepath.Join(pgBin, "pg_restore"),
		"--single-transaction", "--data-only", "--disable-triggers", "-d", dbURL(server, theirs), pgDumpFile)
	if err != nil {
		return nil, err
	}

	out = append(out,
		line(exp), line(pd),
		fmt.Sprintf("  export: wippidu %.1f s vs pg_dump %.1f s → %.2f× (higher is faster); files %.1f MB vs %.1f MB", exp.seconds, pd.seconds, pd.seconds/exp.seconds, float64(exp.bytes)/1e6, float64(pd.bytes)/1e6),
		line(impJob), line(imp), line(keptJob), line(kept), line(pr),
		fmt.Sprintf("  import: wippidu job %.1f s vs pg_restore %.1f s → %.2f× (higher is faster); with upload %.2f×; anonymizers off %.2f×",
			impJob.seconds, pr.seconds, pr.seconds/impJob.seconds, pr.seconds/imp.seconds, pr.seconds/keptJob.seconds),
	)
	if benchOpts.rounds > 0 {
		r, err := importRounds(work, dbURL(server, ours), storage+"-staging", dumpFile, benchOpts.baseline, benchOpts.rounds)
		if err != nil {
			return nil, err
		}
		out = append(out, r...)
	}
	if webOpts.uploadGB > 0 || webOpts.pollers > 0 {
		w, err := webBench(ctx, server, work, ours, dumpFile, webOpts.uploadGB, webOpts.pollers)
		if err != nil {
			return nil, err
		}
		out = append(out, w...)
	}
	return out, nil
}

func step(s string) { fmt.Fprintf(os.Stderr, "==> %s\n", s) }

// worker runs the worker binary and measures wall time and peak RSS.
func worker(work, dbURL, storage string, env []string, args ...string) (measurement, error) {
	return workerBin(filepath.Join(work, "bin", "worker"), dbURL, storage, env, args...)
}

// workerBin runs a worker binary and measures wall time and peak RSS.
func workerBin(bin, dbURL, storage string, env []string, args ...string) (measurement, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL, "LOG_LEVEL=warn")
	if storage != "" {
		cmd.Env = append(cmd.Env, "STORAGE_URL=file://"+storage)
	}
	cmd.Env = append(cmd.Env, env...)
	var stdout strings.Builder
	cmd.Stdout = &stdout
	cmd.Stderr = os.Stderr
	start := time.Now()
	err := cmd.Run()
	m := measurement{name: "worker " + args[0], seconds: time.Since(start).Seconds(), note: stdout.String()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.rssMB = float64(ru.Maxrss) / 1024
	}
	if err != nil {
		return m, fmt.Errorf("worker %s: %w", strings.Join(args, " "), err)
	}
	return m, nil
}

func timed(name, bin string, args ...string) (measurement, error) {
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	start := time.Now()
	err := cmd.Run()
	m := measurement{name: name, seconds: time.Since(start).Seconds()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.rssMB = float64(ru.Maxrss) / 1024
	}
	if err != nil {
		return m, fmt.Errorf("%s: %w", name, err)
	}
	return m, nil
}

func dbURL(server, db string) string {
	u, err := url.Parse(server)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + db
	return u.String()
}
