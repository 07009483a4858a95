package transfer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/internal/baddump"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/transfer"
)

// corpusDir holds the small corpus entries for people to look at; they are made by
// baddump.Generate from the fixture's export (WIPPIDU_WRITE_CORPUS=1 rewrites them).
const corpusDir = "../testdata/baddumps"

// maxHeapBytes bounds the Go heap while a huge streamed entry is imported.
const maxHeapBytes = 200 << 20

// corpus exports the fixture and makes the bad dumps from it.
func corpus(t *testing.T) (good []byte, entries []baddump.Entry) {
	t.Helper()
	src := pgtest.NewPool(t, pgtest.NewDB(t))
	seed(t, src)
	pinDefaultTimes(t, src)
	exported := export(t, src, true)
	good, err := baddump.Normalize(exported)
	if err != nil {
		t.Fatal(err)
	}
	entries, err = baddump.Generate(exported)
	if err != nil {
		t.Fatal(err)
	}
	return good, entries
}

// TestBadDumpCorpus imports every bad dump into a staging database holding the
// fixture: each must fail with its own message, be marked as the dump's fault (not
// retried), leave every table byte for byte as it was, and not let the heap grow
// with the input. A good import must work afterwards.
func TestBadDumpCorpus(t *testing.T) {
	good, entries := corpus(t)
	if len(entries) < 40 {
		t.Errorf("corpus has %d entries, want at least 40", len(entries))
	}
	dst := pgtest.NewPool(t, pgtest.NewDB(t))
	seed(t, dst)
	before := pgtest.Checksums(t, dst)
	// One anonymizer of each kind for all entries: New hashes the staging password.
	defaults, raw := anon(t), anon(t, anonymizer.Keys...)

	names := map[string]bool{}
	for _, e := range entries {
		if names[e.Name] {
			t.Errorf("entry name %q used twice", e.Name)
		}
		names[e.Name] = true
		t.Run(e.Name, func(t *testing.T) {
			if e.Streamed && testing.Short() {
				t.Skip("huge streamed input; runs without -short")
			}
			a := defaults
			if e.Unanonymized {
				a = raw
			}
			var peak func() uint64
			if e.Streamed {
				peak = watchHeap(t)
			}
			start := time.Now()
			err := importCatchingPanics(t, dst, e, a)
			took := time.Since(start)
			t.Logf("%s (%v)", err, took.Round(time.Millisecond))
			switch {
			case err == nil:
				t.Fatal("import succeeded, want an error")
			case !errors.Is(err, transfer.ErrBadDump):
				t.Errorf("error %q is not marked as a bad dump: it would be retried", err)
			}
			if err != nil && !strings.Contains(err.Error(), e.Want) {
				t.Errorf("error %q\nwant it to contain %q", err, e.Want)
			}
			if peak != nil {
				if p := peak(); p > maxHeapBytes {
					t.Errorf("Go heap peaked at %d MiB, want under %d MiB", p>>20, maxHeapBytes>>20)
				} else {
					t.Logf("Go heap peak %d MiB", p>>20)
				}
				if took > 20*time.Second {
					t.Errorf("took %v, want under 20s", took)
				}
			}
			after := pgtest.Checksums(t, dst)
			if !maps.Equal(before, after) {
				for _, table := range slices.Sorted(maps.Keys(before)) {
					if after[table] != before[table] {
						t.Errorf("table %s: checksum %q after the failed import, want %q", table, after[table], before[table])
					}
				}
				for table := range after {
					if _, ok := before[table]; !ok {
						t.Errorf("table %s appeared", table)
					}
				}
			}
		})
	}
	if _, err := importDump(t, dst, good, anon(t)); err != nil {
		t.Fatalf("good import after the corpus: %v", err)
	}
}

func importCatchingPanics(t *testing.T, pool *pgxpool.Pool, e baddump.Entry, a *anonymizer.Anonymizer) (err error) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("import panicked: %v", p)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	src := func(context.Context) (io.ReadCloser, error) { return io.NopCloser(e.Open()), nil }
	_, err = transfer.Import(ctx, conn(t, pool), src, transfer.ImportOptions{Anonymizer: a})
	return err
}

// watchHeap samples the Go heap (bytes in live and not yet swept objects) until
// the test ends and returns a function that reports the peak so far.
func watchHeap(t *testing.T) func() uint64 {
	t.Helper()
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var mu sync.Mutex
	var peak uint64
	read := func() {
		metrics.Read(sample)
		mu.Lock()
		peak = max(peak, sample[0].Value.Uint64())
		mu.Unlock()
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				read()
			}
		}
	}()
	var once sync.Once
	halt := func() { once.Do(func() { close(stop); <-done }) }
	t.Cleanup(halt)
	return func() uint64 {
		halt()
		read()
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

// TestBadDumpCorpusFilesAreCurrent checks that testdata/baddumps holds exactly what
// the generator makes from today's schema and fixture. WIPPIDU_WRITE_CORPUS=1
// rewrites the files instead.
func TestBadDumpCorpusFilesAreCurrent(t *testing.T) {
	t.Parallel()
	_, entries := corpus(t)
	want := map[string][]byte{}
	var manifest bytes.Buffer
	manifest.WriteString("# Bad dumps made by internal/baddump from the fixture's export; see docs/reliability.md.\n")
	manifest.WriteString("# Regenerate: WIPPIDU_WRITE_CORPUS=1 go test ./transfer -run TestBadDumpCorpusFilesAreCurrent\n")
	manifest.WriteString("# file\texpected error (substring)\n")
	for _, e := range entries {
		if e.Streamed {
			fmt.Fprintf(&manifest, "(streamed) %s\t%s\n", e.Name, e.Want)
			continue
		}
		want[e.FileName()] = e.Data
		fmt.Fprintf(&manifest, "%s\t%s\n", e.FileName(), e.Want)
	}
	want["MANIFEST.tsv"] = manifest.Bytes()

	if os.Getenv("WIPPIDU_WRITE_CORPUS") == "1" {
		if err := os.RemoveAll(corpusDir); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(corpusDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, data := range want {
			if err := os.WriteFile(filepath.Join(corpusDir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("wrote %d files to %s", len(want), corpusDir)
		return
	}
	const hint = "; run WIPPIDU_WRITE_CORPUS=1 go test ./transfer -run TestBadDumpCorpusFilesAreCurrent and commit testdata/baddumps"
	files, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatalf("read corpus: %v%s", err, hint)
	}
	total := 0
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(corpusDir, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		total += len(data)
		w, ok := want[f.Name()]
		switch {
		case !ok:
			t.Errorf("%s: not made by the generator any more%s", f.Name(), hint)
		case !bytes.Equal(data, w):
			t.Errorf("%s: differs from what the generator makes now%s", f.Name(), hint)
		}
		delete(want, f.Name())
	}
	for name := range want {
		t.Errorf("%s: missing from %s%s", name, corpusDir, hint)
	}
	if total > 5<<20 {
		t.Errorf("corpus files hold %d bytes, want well under 5 MB", total)
	}
}

// pinDefaultTimes sets the timestamps the fixture leaves to DEFAULT now() to a
// fixed time, so that the export, and the corpus made from it, is the same on every
// run.
func pinDefaultTimes(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT format('UPDATE %I SET %I = $1 WHERE %I > now() - interval ''1 hour''', table_name, column_name, column_name)
		FROM information_schema.columns
		WHERE table_schema = current_schema() AND data_type = 'timestamp with time zone'
		  AND table_name NOT LIKE 'river\_%' AND table_name <> 'import_export_audits'
		ORDER BY table_name, column_name`)
	if err != nil {
		t.Fatal(err)
	}
	stmts, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stmts {
		if _, err := pool.Exec(ctx, s, "2026-11-25 10:11:12+00"); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}
