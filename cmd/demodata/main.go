// Command demodata fills an empty, migrated wippidu database with production-like
// demo data.
//
//	DATABASE_URL=postgres://… demodata --users 100000 [--attachment-kb 64]
//	    [--admin-email admin@wippidu.example] [--admin-password wippidu] [--seed 1]
//
// Progress goes to stderr as JSON logs at LOG_LEVEL (debug, info, warn or error;
// default info), a one-line summary to stdout.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wippidu/wippidu/config"
	"github.com/wippidu/wippidu/demodata"
)

func main() {
	err := run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "demodata:", err)
		os.Exit(1)
	}
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demodata", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: DATABASE_URL=postgres://… demodata --users N [flags]")
		fmt.Fprintln(stderr, "Fills an empty, migrated wippidu database with production-like demo data.")
		fs.PrintDefaults()
	}
	var cfg demodata.Config
	fs.IntVar(&cfg.Users, "users", 0, "number of users to create (required)")
	fs.IntVar(&cfg.AttachmentKB, "attachment-kb", demodata.DefaultAttachmentKB, "average attachment size in KiB")
	fs.StringVar(&cfg.AdminEmail, "admin-email", demodata.DefaultAdminEmail, "e-mail address of the admin login")
	fs.StringVar(&cfg.AdminPassword, "admin-password", demodata.DefaultAdminPassword, "password of the admin login")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "random seed; the same seed gives the same data")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if cfg.Users <= 0 {
		return errors.New("--users N (N > 0) is required")
	}
	dbURL := getenv("DATABASE_URL")
	if dbURL == "" {
		return errors.New("DATABASE_URL is not set")
	}

	level, err := config.ParseLogLevel(getenv)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer pool.Close()

	stats, err := demodata.Generate(ctx, pool, cfg, logger)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, summary(stats))
	return nil
}

// summary renders stats as one line: rows per table, megabytes, seconds.
func summary(s demodata.Stats) string {
	var b strings.Builder
	b.WriteString("demodata:")
	for _, t := range s.Tables {
		fmt.Fprintf(&b, " %s=%d", t.Name, t.Rows)
	}
	fmt.Fprintf(&b, " rows=%d copied_mb=%.1f attachments_mb=%.1f database_mb=%.1f seconds=%.1f",
		s.TotalRows(), float64(s.CopyBytes())/1e6, float64(s.AttachmentBytes)/1e6,
		float64(s.DatabaseBytes)/1e6, s.Elapsed.Seconds())
	return b.String()
}
