package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/klauspost/compress/gzip"
	"golang.org/x/crypto/bcrypt"

	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/config"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/internal/poll"
	"github.com/wippidu/wippidu/internal/testsalt"
	"github.com/wippidu/wippidu/internal/webclient"
	"github.com/wippidu/wippidu/storage/file"
	"github.com/wippidu/wippidu/worker"
)

// TestWebKilledMidUploadLeavesNothing SIGKILLs the web process while it streams an
// upload into storage: no job, no audit row and no object may exist afterwards,
// and the upload's temp file goes once housekeeping finds it old enough.
func TestWebKilledMidUploadLeavesNothing(t *testing.T) {
	t.Parallel()
	const total = 200 << 20
	dbURL, storeDir := pgtest.NewDB(t), t.TempDir()
	pool := pgtest.NewPool(t, dbURL)
	vars := stagingEnv(t, pool, dbURL, storeDir)
	web, addr := startWeb(t, vars)

	ctx := context.Background()
	c := webclient.New(addr, "staging.wippidu.net")
	if err := c.Login(ctx, "admin@wippidu.example", "admin password"); err != nil {
		t.Fatal(err)
	}
	// A valid dump header, then incompressible bytes made on the fly.
	upload := io.MultiReader(bytes.NewReader(dumpHeader(t)), io.LimitReader(rand.NewChaCha8([32]byte{1}), total))
	done := make(chan error, 1)
	go func() {
		_, err := c.Import(ctx, webclient.ImportForm{ConfirmHost: "staging.wippidu.net"}, upload)
		done <- err
	}()

	var temp string
	poll.Until(t, "half of the upload to be in storage", time.Minute, func() bool {
		temp = tempFile(t, storeDir)
		fi, err := os.Stat(temp)
		return err == nil && fi.Size() > total/2
	})
	if err := web.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = web.Wait()
	if err := <-done; err == nil {
		t.Fatal("the upload succeeded although the server was killed")
	}

	for _, q := range []string{`SELECT count(*) FROM river_job`, `SELECT count(*) FROM import_export_audits`} {
		var n int
		if err := pool.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s: got %d, want 0", q, n)
		}
	}
	store, err := file.New(storeDir)
	if err != nil {
		t.Fatal(err)
	}
	if objs, err := store.List(ctx, ""); err != nil || len(objs) != 0 {
		t.Errorf("objects after the kill: got %v (%v), want none", objs, err)
	}
	rel, _ := filepath.Rel(storeDir, temp)
	if _, err := store.Stat(ctx, filepath.ToSlash(rel)); err == nil {
		t.Errorf("the partial upload %s is visible through Stat", rel)
	}

	// Housekeeping leaves a fresh temp file alone (an upload may still be running)
	// and removes it once it is older than worker.IncompleteUploadAge.
	deps := housekeepingDeps(t, vars, pool, store)
	if err := worker.Housekeep(ctx, deps, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(temp); err != nil {
		t.Fatalf("housekeeping removed a fresh temp file: %v", err)
	}
	old := time.Now().Add(-worker.IncompleteUploadAge - time.Minute)
	if err := os.Chtimes(temp, old, old); err != nil {
		t.Fatal(err)
	}
	if err := worker.Housekeep(ctx, deps, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(temp); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("temp file after housekeeping: %v, want it gone", err)
	}
	if f := files(t, storeDir); len(f) != 0 {
		t.Errorf("files left in storage: %v", f)
	}
}

// startWeb runs the web command with vars as its whole environment and returns it
// with the address it listens on.
func startWeb(t *testing.T, vars map[string]string) (*exec.Cmd, string) {
	t.Helper()
	c := exec.Command(webBin)
	c.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir()}
	for k, v := range vars {
		c.Env = append(c.Env, k+"="+v)
	}
	stderr, err := c.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.Process.Kill()
		_, _ = c.Process.Wait()
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "web listening" {
				addr <- line.Addr
			}
		}
		close(addr)
	}()
	select {
	case a, ok := <-addr:
		if !ok {
			t.Fatal("web exited before listening")
		}
		return c, a
	case <-time.After(time.Minute):
		t.Fatal("web did not start listening")
	}
	return nil, ""
}

// dumpHeader is the gzip of a valid dump with no tables.
func dumpHeader(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = zw.Write([]byte(`{"schema_version": 1, "app": "wippidu", "source_host": "app.wippidu.net", "exported_at": "2026-11-25T10:11:12Z", "include_attachments": true, "tables": []}`))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// tempFile returns the one upload temp file under dir, or "".
func tempFile(t *testing.T, dir string) string {
	t.Helper()
	for _, f := range files(t, dir) {
		if strings.HasPrefix(filepath.Base(f), ".tmp-") {
			return f
		}
	}
	return ""
}

func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func housekeepingDeps(t *testing.T, vars map[string]string, pool *pgxpool.Pool, store *file.Store) *worker.Deps {
	t.Helper()
	cfg, err := config.Parse(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	return &worker.Deps{Pool: pool, Storage: store, Config: cfg, Policy: anonymizer.DefaultPolicy(), Logger: slog.New(slog.DiscardHandler)}
}

// stagingEnv adds (or resets) the admin admin@wippidu.example (password "admin
// password") in the staging database behind pool and returns the environment its web tier and
// worker run with.
func stagingEnv(t *testing.T, pool *pgxpool.Pool, dbURL, storeDir string) map[string]string {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte("admin password"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(context.Background(), `WITH reset AS (
			UPDATE users SET password_hash = $1, role = 'admin' WHERE lower(email) = 'admin@wippidu.example' RETURNING id)
		INSERT INTO users (email, first_name, last_name, password_hash, role)
		SELECT 'admin@wippidu.example', 'Ada', 'Admin', $1, 'admin' WHERE NOT EXISTS (SELECT FROM reset)`, string(hash)); err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"DATABASE_URL": dbURL, "STORAGE_URL": "file://" + storeDir, "LISTEN_ADDR": "127.0.0.1:0",
		"SESSION_SECRET": strings.Repeat("s", 32), "APP_HOSTNAME": "staging.wippidu.net",
		"APP_ALLOW_PROD_IMPORT": "true", "ANONYMIZER_SALT": testsalt.Salt, "SECURE_COOKIES": "false",
	}
}
