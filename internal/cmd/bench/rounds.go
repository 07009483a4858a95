package main

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// buildBaseline builds the worker of an earlier revision, for the default import to
// be timed against it in the same run.
func buildBaseline(work, rev string) (string, error) {
	if rev == "" {
		return "", nil
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

// importRounds times the default import of dumpFile, this build's and (when
// baseline is set) the baseline's, in interleaved rounds: the machine's noise
// falls on both alike.
func importRounds(work, db, storage, dumpFile, baseline string, rounds int) ([]string, error) {
	type side struct {
		name, bin string
		secs, rss []float64
	}
	sides := []*side{{name: "this build", bin: filepath.Join(work, "bin", "worker")}}
	if baseline != "" {
		sides = append([]*side{{name: "baseline " + benchOpts.baselineRev, bin: baseline}}, sides...)
	}
	env := []string{"APP_ALLOW_PROD_IMPORT=true", "APP_HOSTNAME=staging.localhost", "ANONYMIZER_SALT=bench"}
	for r := 1; r <= rounds; r++ {
		for _, s := range sides {
			step(fmt.Sprintf("default import, round %d of %d: %s", r, rounds, s.name))
			m, err := workerBin(s.bin, db, storage, env, "import", "--inline", "--confirm-host", "staging.localhost", dumpFile)
			if err != nil {
				return nil, err
			}
			var res struct {
				Result struct {
					DurationSeconds float64 `json:"duration_seconds"`
				} `json:"result"`
			}
			if err := json.Unmarshal([]byte(m.note), &res); err != nil {
				return nil, fmt.Errorf("import output: %w: %s", err, m.note)
			}
			s.secs = append(s.secs, res.Result.DurationSeconds)
			s.rss = append(s.rss, m.rssMB)
		}
	}
	span := func(v []float64, unit string) string {
		return fmt.Sprintf("%.1f–%.1f %s", slices.Min(v), slices.Max(v), unit)
	}
	out := []string{fmt.Sprintf("  default import (job), %d interleaved rounds:", rounds)}
	for _, s := range sides {
		out = append(out, fmt.Sprintf("    %-24s %s, peak RSS %s", s.name, span(s.secs, "s"), span(s.rss, "MB")))
	}
	if len(sides) == 2 {
		var ratios []float64
		for i := range sides[0].secs {
			ratios = append(ratios, sides[1].secs[i]/sides[0].secs[i])
		}
		slices.Sort(ratios)
		out = append(out, fmt.Sprintf("    this build / baseline, round by round: %.2f–%.2f (median %.2f)", ratios[0], ratios[len(ratios)-1], ratios[len(ratios)/2]))
	}
	return out, nil
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
