package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/wippidu/wippidu/internal/procmem"
)

// sample is what one process took: wall time and peak RSS.
type sample struct {
	seconds, rssMB float64
}

// proc is a finished worker process: its sample and what it printed.
type proc struct {
	sample
	stdout string
}

// benchSalt is the staging instances' salt, a new one for every bench run.
var benchSalt = func() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}()

// stagingEnv makes a worker a staging instance that accepts production's dumps.
var stagingEnv = []string{"APP_ALLOW_PROD_IMPORT=true", "APP_HOSTNAME=staging.localhost", "ANONYMIZER_SALT=" + benchSalt}

func step(s string) { fmt.Fprintf(os.Stderr, "==> %s\n", s) }

// worker runs this build's worker binary and measures it.
func worker(work, dbURL, storage string, env []string, args ...string) (proc, error) {
	return workerBin(filepath.Join(work, "bin", "worker"), dbURL, storage, env, args...)
}

// workerBin runs a worker binary and measures it.
func workerBin(bin, dbURL, storage string, env []string, args ...string) (proc, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL, "LOG_LEVEL=warn")
	if storage != "" {
		cmd.Env = append(cmd.Env, "STORAGE_URL=file://"+storage)
	}
	cmd.Env = append(cmd.Env, env...)
	var stdout strings.Builder
	cmd.Stdout = &stdout
	cmd.Stderr = os.Stderr
	s, err := measure(cmd)
	if err != nil {
		return proc{}, fmt.Errorf("worker %s: %w", strings.Join(args, " "), err)
	}
	return proc{sample: s, stdout: stdout.String()}, nil
}

// timed runs a program and measures it.
func timed(bin string, args ...string) (sample, error) {
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	s, err := measure(cmd)
	if err != nil {
		return sample{}, fmt.Errorf("%s: %w", filepath.Base(bin), err)
	}
	return s, nil
}

// measure runs cmd and takes its wall time and its peak resident set: the
// largest of the process and its children (pg_dump -j's workers), never their
// sum (package procmem).
func measure(cmd *exec.Cmd) (sample, error) {
	start := time.Now()
	peak, err := procmem.Run(cmd)
	return sample{seconds: time.Since(start).Seconds(), rssMB: float64(peak) / (1 << 20)}, err
}

// exportJob is the export job's own duration (from the result `worker export`
// prints), without the copy of the stored file to --out that the command makes
// after it.
func exportJob(p proc) (sample, error) {
	var out struct {
		Result struct {
			DurationSeconds float64 `json:"duration_seconds"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(p.stdout), &out); err != nil || out.Result.DurationSeconds <= 0 {
		return sample{}, fmt.Errorf("export output has no duration_seconds (%v): %s", err, p.stdout)
	}
	return sample{seconds: out.Result.DurationSeconds, rssMB: p.rssMB}, nil
}

// importJob runs `worker import --inline` and returns the job's own duration (from
// the result it prints) and the whole CLI run, upload to storage included. env
// adds to stagingEnv.
func importJob(bin, dbURL, storage, dumpFile string, env []string, extra ...string) (job, cli sample, err error) {
	args := append([]string{"import", "--inline", "--confirm-host", "staging.localhost"}, extra...)
	p, err := workerBin(bin, dbURL, storage, append(slices.Clone(stagingEnv), env...), append(args, dumpFile)...)
	if err != nil {
		return sample{}, sample{}, err
	}
	var out struct {
		Result struct {
			DurationSeconds float64 `json:"duration_seconds"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(p.stdout), &out); err != nil {
		return sample{}, sample{}, fmt.Errorf("import output: %w: %s", err, p.stdout)
	}
	// One process runs the job and the upload: one peak RSS for both.
	return sample{seconds: out.Result.DurationSeconds, rssMB: p.rssMB}, p.sample, nil
}

// size is the size of a file, or of every file under a directory.
func size(path string) (int64, error) {
	var n int64
	err := filepath.WalkDir(path, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err == nil {
			n += fi.Size()
		}
		return err
	})
	return n, err
}

func dbURL(server, db string) string {
	u, err := url.Parse(server)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + db
	return u.String()
}
