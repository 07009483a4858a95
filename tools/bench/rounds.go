package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/wippidu/wippidu/anonymizer"
)

// The sides the rounds time, the keys of a tally.
const (
	sideExport      = "wippidu export"
	sideExportJob   = "wippidu export job"
	sideDumpZ1      = "pg_dump -Fc -Z1"
	sideDumpDir     = "pg_dump -Fd -j 2 -Z1"
	sideDumpDefault = "pg_dump -Fc"
	sideImportJob   = "import, default (job)"
	sideImportCLI   = "import, default (CLI)"
	sideKeptJob     = "import, anonymizers off (job)"
	sideKeptCLI     = "import, anonymizers off (CLI)"
	sideRestore     = "pg_restore"
	sideBaselineJob = "baseline import, default (job)"
	sideBaselineCLI = "baseline import, default (CLI)"
)

// tally collects every side's samples round by round; a side timed only in the
// first round has one.
type tally struct {
	samples map[string][]sample
	bytes   map[string]int64 // dump sizes, from the last round
}

func newTally() *tally {
	return &tally{samples: map[string][]sample{}, bytes: map[string]int64{}}
}

func (t *tally) add(side string, s sample) { t.samples[side] = append(t.samples[side], s) }

// roundFiles are the dumps of one round.
type roundFiles struct {
	dir                            string
	ours, z1, directory, z6Default string
	sealed                         string // our export, encrypted (with -sealed)
	otherConns                     string // our export on -export-connections connections
}

// task is one timed step of a round.
type task struct {
	name string
	run  func() error
}

// round times every side once: first the dumps, then the loads of this round's
// dumps. Every other round runs each phase in reverse, so that whatever one step
// leaves behind (dirty buffers, a checkpoint, autovacuum) does not always fall on
// the same side.
func (r *runner) round(ctx context.Context, db demoDB, n int, t *tally) (roundFiles, error) {
	f := roundFiles{dir: filepath.Join(r.work, "round-"+db.label)}
	f.ours, f.z1 = filepath.Join(f.dir, "wippidu-export.json.gz"), filepath.Join(f.dir, "pgdump-z1.dump")
	f.directory, f.z6Default = filepath.Join(f.dir, "pgdump-dir"), filepath.Join(f.dir, "pgdump-default.dump")
	f.sealed = filepath.Join(f.dir, "wippidu-export.json.gz.age")
	f.otherConns = filepath.Join(f.dir, "wippidu-export-other-connections.json.gz")
	// The previous round's dumps go (pg_dump -Fd wants a directory that is not
	// there), and the copies our exports keep in storage: the disk would fill.
	for _, d := range []string{f.dir, filepath.Join(r.work, "storage-"+db.label, "exports")} {
		if err := os.RemoveAll(d); err != nil {
			return f, err
		}
	}
	if err := os.MkdirAll(f.dir, 0o755); err != nil {
		return f, err
	}
	for _, phase := range [][]task{r.dumpTasks(ctx, db, n, f, t), r.loadTasks(ctx, db, f, t)} {
		if n%2 == 0 {
			slices.Reverse(phase)
		}
		for _, tk := range phase {
			step(fmt.Sprintf("round %d of %d: %s", n, r.rounds, tk.name))
			if err := tk.run(); err != nil {
				return f, err
			}
		}
	}
	return f, nil
}

func (r *runner) dumpTasks(ctx context.Context, db demoDB, n int, f roundFiles, t *tally) []task {
	src := dbURL(r.server, db.src)
	pgDump := func(side, out string, flags ...string) task {
		return task{side, func() error {
			args := append(slices.Clone(flags), "-f", out, "-d", src)
			for _, tb := range appTables {
				args = append(args, "-t", tb)
			}
			s, err := timed(filepath.Join(r.pgBin, "pg_dump"), args...)
			if err != nil {
				return err
			}
			t.add(side, s)
			if t.bytes[side], err = size(out); err != nil {
				return err
			}
			if out != f.z1 {
				// Only the -Fc -Z1 dump is restored: the others go at once, or a
				// 100,000-user run would need another 16 GB of disk.
				return os.RemoveAll(out)
			}
			return nil
		}}
	}
	tasks := []task{
		{sideExport, func() error {
			p, job, err := r.exportInline(db, f.ours, nil)
			if err != nil {
				return err
			}
			t.add(sideExport, p.sample)
			t.add(sideExportJob, job)
			t.bytes[sideExport], err = size(f.ours)
			return err
		}},
		pgDump(sideDumpZ1, f.z1, "-Fc", "-Z1"),
		pgDump(sideDumpDir, f.directory, "-Fd", "-j", "2", "-Z1"),
		r.exportFloor(ctx, db, t),
	}
	if r.otherConns > 0 {
		tasks = append(tasks, r.otherConnsExport(db, f, t))
	}
	if n == 1 && r.pgDumpDefault {
		tasks = append(tasks, pgDump(sideDumpDefault, f.z6Default, "-Fc"))
	}
	if r.keys != nil {
		tasks = append(tasks, r.sealedExport(db, f, t))
	}
	return tasks
}

func (r *runner) loadTasks(ctx context.Context, db demoDB, f roundFiles, t *tally) []task {
	storage := filepath.Join(r.work, "storage-"+db.label+"-staging")
	// An import of this build's fills its database with what its load floor loads:
	// the floor's COPY files are made from it the first time (outside the timing).
	ourImport := func(bin, target, jobSide, cliSide, floor string, extra ...string) task {
		return task{strings.TrimSuffix(jobSide, " (job)"), func() error {
			job, cli, err := importJob(bin, dbURL(r.server, target), storage, f.ours, nil, extra...)
			if err != nil {
				return err
			}
			t.add(jobSide, job)
			if cliSide != "" {
				t.add(cliSide, cli)
			}
			if floor == "" {
				return nil
			}
			return r.floorFiles(ctx, db, floor, target, t)
		}}
	}
	bin := filepath.Join(r.work, "bin", "worker")
	tasks := []task{
		ourImport(bin, db.ours, sideImportJob, sideImportCLI, sideDefaultFloor),
		ourImport(bin, db.oursKept, sideKeptJob, sideKeptCLI, sideRawFloor,
			"--keep", strings.Join(anonymizer.Keys, ","), "--risk-ack", anonymizer.RiskAck),
		{sideRestore, func() error {
			// Outside the timing: every restore starts from empty tables.
			if err := r.truncate(ctx, db.theirs); err != nil {
				return err
			}
			s, err := timed(filepath.Join(r.pgBin, "pg_restore"), "--single-transaction", "--data-only", "--disable-triggers",
				"-d", dbURL(r.server, db.theirs), f.z1)
			if err == nil {
				t.add(sideRestore, s)
			}
			return err
		}},
		r.inflate(f, t),
		r.loadFloor(ctx, db, sideRawFloor, t),
		r.loadFloor(ctx, db, sideDefaultFloor, t),
	}
	if r.keys != nil {
		tasks = append(tasks, r.sealedImport(db, f, t))
	}
	if r.baseline != "" {
		// Next to this build's default import, so that both meet the same machine.
		tasks = slices.Insert(tasks, 1, ourImport(r.baseline, db.ours, sideBaselineJob, sideBaselineCLI, ""))
	}
	return tasks
}

// buildBaseline builds the worker of an earlier revision, for its default import
// to be timed in the same rounds. A rev that names a file is taken as that
// worker, already built (from `git archive REV`, say), and nothing is built.
func buildBaseline(work, rev string) (string, error) {
	if rev == "" {
		return "", nil
	}
	if fi, err := os.Stat(rev); err == nil && !fi.IsDir() {
		return filepath.Abs(rev)
	}
	step("building the worker of " + rev)
	tree := filepath.Join(work, "baseline-src")
	_ = exec.Command("git", "worktree", "remove", "--force", tree).Run()
	if out, err := exec.Command("git", "worktree", "add", "--detach", "--force", tree, rev).CombinedOutput(); err != nil {
		return "", fmt.Errorf("git worktree add %s: %v\n%s", rev, err, out)
	}
	defer func() { _ = exec.Command("git", "worktree", "remove", "--force", tree).Run() }()
	bin := filepath.Join(work, "bin-baseline", "worker")
	build := exec.Command("go", "build", "-o", bin, "./cmd/worker")
	build.Dir = tree
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s: %v\n%s", rev, err, out)
	}
	return bin, nil
}

// sideExportJobConns is the export job with EXPORT_CONNECTIONS=-export-connections.
const sideExportJobConns = "wippidu export job, other EXPORT_CONNECTIONS"

// otherConnsExport times the export job with EXPORT_CONNECTIONS set to
// -export-connections: the pair says which count wins on this machine.
func (r *runner) otherConnsExport(db demoDB, f roundFiles, t *tally) task {
	return task{sideExportJobConns, func() error {
		_, job, err := r.exportInline(db, f.otherConns, []string{fmt.Sprintf("EXPORT_CONNECTIONS=%d", r.otherConns)})
		if err != nil {
			return err
		}
		t.add(sideExportJobConns, job)
		return os.Remove(f.otherConns)
	}}
}

// exportInline runs `worker export --inline --out out` on db's production
// database with env added, and returns the process's sample and the job's. The
// stored export (a link to out, or a copy) goes: the imports load out.
func (r *runner) exportInline(db demoDB, out string, env []string) (proc, sample, error) {
	storage := filepath.Join(r.work, "storage-"+db.label)
	p, err := worker(r.work, dbURL(r.server, db.src), storage, env, "export", "--inline", "--out", out)
	if err != nil {
		return proc{}, sample{}, err
	}
	job, err := exportJob(p)
	if err != nil {
		return proc{}, sample{}, err
	}
	return p, job, os.RemoveAll(filepath.Join(storage, "exports"))
}
