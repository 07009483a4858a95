package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/wippidu/wippidu/config"
	"github.com/wippidu/wippidu/dump"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/internal/testbin"
	"github.com/wippidu/wippidu/web"
)

// webBin and workerBin are the web and worker commands, built once (without the
// race detector, as they ship) for the tests that run them as processes.
var webBin, workerBin string

func TestMain(m *testing.M) {
	dir, cleanup, err := testbin.Build("./cmd/web", "./cmd/worker")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	webBin, workerBin = testbin.Path(dir, "web"), testbin.Path(dir, "worker")
	code := pgtest.Main(m)
	cleanup()
	os.Exit(code)
}

// TestMainServesAndShutsDown wires the web tier from configuration alone, as the
// command does, and checks that it is ready and stops cleanly.
func TestMainServesAndShutsDown(t *testing.T) {
	t.Parallel()
	vars := map[string]string{
		"DATABASE_URL": pgtest.NewDB(t), "STORAGE_URL": "file://" + t.TempDir(),
		"LISTEN_ADDR": "127.0.0.1:0", "SESSION_SECRET": strings.Repeat("s", 32),
	}
	cfg, err := config.Parse(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	m := web.NewMain(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), dump.CheckUpload)
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(m.URL() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "ready") {
		t.Errorf("readyz: got %d %s", resp.StatusCode, body)
	}
	if err := m.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if _, err := http.Get(m.URL() + "/healthz"); err == nil {
		t.Error("still serving after Close")
	}
}

func TestMainRefusesAShortSessionSecret(t *testing.T) {
	t.Parallel()
	cfg := config.Config{DatabaseURL: "postgres://unused", SessionSecret: "short"}
	if err := web.NewMain(cfg, slog.New(slog.DiscardHandler), dump.CheckUpload).Run(context.Background()); err == nil ||
		!strings.Contains(err.Error(), "SESSION_SECRET") {
		t.Errorf("got %v, want the SESSION_SECRET error", err)
	}
}
