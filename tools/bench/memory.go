package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/wippidu/wippidu/anonymizer"
)

// once exports and imports a demo database one time, for peak RSS on
// other shapes of data: memory must not grow with the dump.
func (r *runner) once(ctx context.Context, users, attachKB int, label string) ([]string, error) {
	db, err := r.demo(ctx, users, attachKB, label)
	if err != nil {
		return nil, err
	}
	dumpFile := filepath.Join(r.work, "dump-"+label+".json.gz")
	step("wippidu export")
	exp, err := worker(r.work, dbURL(r.server, db.src), filepath.Join(r.work, "storage-"+label), nil, "export", "--inline", "--out", dumpFile)
	if err != nil {
		return nil, err
	}
	bytes, err := size(dumpFile)
	if err != nil {
		return nil, err
	}
	step("wippidu import (all anonymizers on)")
	bin, storage := filepath.Join(r.work, "bin", "worker"), filepath.Join(r.work, "storage-"+label+"-staging")
	_, imp, err := importJob(bin, dbURL(r.server, db.ours), storage, dumpFile, nil)
	if err != nil {
		return nil, err
	}
	// With every anonymizer off, the attachments themselves are loaded.
	step("wippidu import (all anonymizers off)")
	_, kept, err := importJob(bin, dbURL(r.server, db.oursKept), storage, dumpFile, nil,
		"--keep", strings.Join(anonymizer.Keys, ","), "--risk-ack", anonymizer.RiskAck)
	if err != nil {
		return nil, err
	}
	line := func(name string, s sample) string {
		return fmt.Sprintf("  %-36s %7.1f s  %9.0f rows/s  %7.1f MB/s of database  peak RSS %5.0f MB",
			name, s.seconds, float64(db.rows)/s.seconds, float64(db.bytes)/1e6/s.seconds, s.rssMB)
	}
	return []string{
		fmt.Sprintf("database %s: %.2f GB on disk, %d rows; dump %.1f MB", label, float64(db.bytes)/1e9, db.rows, float64(bytes)/1e6),
		line("wippidu export", exp.sample),
		line("wippidu import (CLI: upload + job)", imp),
		line("wippidu import, anonymizers off (CLI)", kept),
	}, nil
}

// dictionaryMemory reports what the people dictionary of 100,000 users and their
// 100,000 students takes, as measured by the anonymizer's test.
func dictionaryMemory() (string, error) {
	step("people dictionary of 200,000 people")
	out, err := exec.Command("go", "test", "-count=1", "-run", "^TestPeopleMemory$", "-v", "./anonymizer").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("dictionary memory: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`people dictionary: .*`).Find(out)
	if m == nil {
		return "", fmt.Errorf("dictionary memory: no figure in\n%s", out)
	}
	return "  " + strings.TrimSpace(string(m)), nil
}
