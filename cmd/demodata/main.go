// Command demodata fills an empty, migrated wippidu database with production-like
// demo data. Run `demodata --help` for its flags.
//
// Progress goes to stderr as JSON logs at LOG_LEVEL (debug, info, warn or error;
// default info), a one-line summary to stdout.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/cli"
	"github.com/wippidu/wippidu/config"
	"github.com/wippidu/wippidu/demodata"
	"github.com/wippidu/wippidu/schema"
)

func main() { cli.Main(newRoot) }

func newRoot(env cli.Env) *cobra.Command {
	var cfg demodata.Config
	root := &cobra.Command{
		Use:   "demodata --users N [--attachment-kb K] [--admin-email E] [--admin-password P] [--seed S]",
		Short: "Fill an empty, migrated database with production-like demo data",
		Long: `demodata fills the empty, migrated database at DATABASE_URL with production-like demo
data: about 10 messages per user, letters, students, acknowledgements and attachments in
proportion, soft-deleted rows, real foreign keys, and an admin login. The same --seed
gives the same data. It refuses a database that already holds data.

Progress goes to stderr as JSON logs at LOG_LEVEL, a one-line summary to stdout.`,
		Example: `  DATABASE_URL=postgres://… worker migrate
  DATABASE_URL=postgres://… demodata --users 20000
  DATABASE_URL=postgres://… demodata --users 20 --seed 7 --admin-email admin@staging.localhost`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cli.Usagef("unexpected arguments: %s", strings.Join(args, " "))
			}
			if cfg.Users <= 0 {
				return cli.Usagef("--users N (N > 0) is required")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return generate(cmd.Context(), env, cfg) },
	}
	fl := root.Flags()
	fl.IntVar(&cfg.Users, "users", 0, "number of users to create (required)")
	fl.IntVar(&cfg.AttachmentKB, "attachment-kb", demodata.DefaultAttachmentKB, "average attachment size in KiB")
	fl.StringVar(&cfg.AdminEmail, "admin-email", demodata.DefaultAdminEmail, "e-mail address of the admin login")
	fl.StringVar(&cfg.AdminPassword, "admin-password", demodata.DefaultAdminPassword, "password of the admin login")
	fl.Uint64Var(&cfg.Seed, "seed", 1, "random seed; the same seed gives the same data")
	root.AddCommand(cli.Environment("DATABASE_URL", "LOG_LEVEL"))
	return root
}

// generate fills the database at DATABASE_URL.
func generate(ctx context.Context, env cli.Env, cfg demodata.Config) error {
	dbURL := env.Getenv("DATABASE_URL")
	if dbURL == "" {
		return fmt.Errorf("DATABASE_URL is not set: the database to fill, e.g. postgres://user:password@host:5432/wippidu")
	}
	level, err := config.ParseLogLevel(env.Getenv)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(env.Stderr, &slog.HandlerOptions{Level: level}))
	pcfg, err := config.PoolConfig(dbURL)
	if err != nil {
		return err
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	defer pool.Close()
	if err := pool.Ping(ctx); err != nil {
		return fmt.Errorf("cannot reach the database at DATABASE_URL: %w", err)
	}
	if err := schema.CheckMigrated(ctx, pool); err != nil {
		return err
	}
	stats, err := demodata.Generate(ctx, pool, cfg, logger)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, summary(stats))
	return nil
}

// summary renders stats as one line: rows per table, then sizes as the page and
// the worker write them (wippidu.FormatBytes), and the time taken.
func summary(s demodata.Stats) string {
	var b strings.Builder
	b.WriteString("demodata:")
	for _, t := range s.Tables {
		fmt.Fprintf(&b, " %s=%d", t.Name, t.Rows)
	}
	fmt.Fprintf(&b, " rows=%d; copied %s (attachments %s), database %s, %.1f s",
		s.TotalRows(), wippidu.FormatBytes(s.CopyBytes()), wippidu.FormatBytes(s.AttachmentBytes),
		wippidu.FormatBytes(s.DatabaseBytes), s.Elapsed.Seconds())
	return b.String()
}
