// Package ops is the worker's command line: `worker run`, which works the job
// queues, and the commands ops run by hand around it: migrate, export, import and
// jobs. The River workers themselves are package worker; this package reads the
// command line, the settings and the database, and prints what a person reads.
package ops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/spf13/cobra"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/cli"
	"github.com/wippidu/wippidu/config"
	"github.com/wippidu/wippidu/jobs"
	"github.com/wippidu/wippidu/schema"
	"github.com/wippidu/wippidu/storage"
	"github.com/wippidu/wippidu/worker"
)

// Command runs the worker's command line with env and returns its exit code:
// cli.ExitOK, cli.ExitFailure or cli.ExitUsage.
func Command(ctx context.Context, env cli.Env) int {
	return cli.Execute(ctx, NewRoot(env), env)
}

// NewRoot returns the worker's command tree for env.
func NewRoot(env cli.Env) *cobra.Command {
	root := &cobra.Command{
		Use:   "worker",
		Short: "Run wippidu's export and import jobs, and the commands around them",
		Long: `worker runs wippidu's export and import jobs (worker run) and gives ops the commands
around them: migrate the database, export, import, and inspect, retry or cancel jobs.

Every setting comes from the environment (DATABASE_URL, STORAGE_URL, APP_HOSTNAME, …):
'worker help environment' lists them. Exit codes: 0 success, 1 failure (the reason on
stderr), 2 a command line that cannot be run.`,
	}
	root.AddCommand(migrateCommand(env), runCommand(env), exportCommand(env), importCommand(env), jobsCommand(env),
		cli.Environment())
	return root
}

// needs says what a command needs of the instance before it runs.
type needs struct {
	// quiet keeps the River client's routine log lines off a person's terminal
	// unless LOG_LEVEL=debug: the command prints its own progress.
	quiet bool
	// migrated refuses a database that lacks migrations, naming the fix, before
	// the first query runs into a missing table.
	migrated bool
}

// withApp is the RunE of a command that works on the instance: the settings are
// read and the database and storage opened here, after cobra has parsed the
// command line, so that help and usage errors never need either.
func withApp(env cli.Env, n needs, run func(ctx context.Context, a *app, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		cfg, err := config.Parse(env.Getenv)
		if err != nil {
			return err
		}
		shutdownTracing, err := setupTracing(ctx, cfg.OTelTracing)
		if err != nil {
			return err
		}
		defer func() { _ = shutdownTracing(context.WithoutCancel(ctx)) }()
		a, err := open(ctx, env, cfg, newLogger(env.Stderr, cfg.LogLevel, n.quiet))
		if err != nil {
			return err
		}
		defer a.close()
		if n.migrated {
			if err := schema.CheckMigrated(ctx, a.pool); err != nil {
				return err
			}
		}
		return run(ctx, a, args)
	}
}

// newLogger returns the JSON logger. Commands that print progress for a person keep
// the River client's routine messages out of the way unless LOG_LEVEL=debug.
func newLogger(w io.Writer, level string, quiet bool) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	if quiet && l < slog.LevelWarn && l > slog.LevelDebug {
		l = slog.LevelWarn
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// app holds what every command shares.
type app struct {
	env     cli.Env
	cfg     config.Config
	logger  *slog.Logger
	pool    *pgxpool.Pool
	storage storage.Storage
	deps    *worker.Deps
}

// open connects to the database, which must answer now: a command fails at once,
// naming DATABASE_URL, rather than at its first query.
func open(ctx context.Context, env cli.Env, cfg config.Config, logger *slog.Logger) (*app, error) {
	pcfg, err := config.PoolConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if pcfg.MaxConns < 8 {
		pcfg.MaxConns = 8
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("cannot reach the database at DATABASE_URL: %w", err)
	}
	store, err := storage.Open(ctx, cfg.StorageURL)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("STORAGE_URL: %w", err)
	}
	source, err := worker.OpenSource(ctx, cfg)
	if err != nil {
		pool.Close()
		return nil, err
	}
	a := &app{env: env, cfg: cfg, logger: logger, pool: pool, storage: store}
	a.deps = &worker.Deps{Pool: pool, Storage: store, Source: source, Config: cfg, Policy: anonymizer.DefaultPolicy(), Logger: logger}
	return a, nil
}

func (a *app) close() { a.pool.Close() }

// insertClient returns a River client that only inserts and reads jobs.
func (a *app) insertClient() (*river.Client[pgx.Tx], error) {
	return jobs.NewInsertClient(a.pool, a.logger)
}

// userError turns an error with a user-facing message into that message.
func userError(err error) error {
	var e *wippidu.Error
	if errors.As(err, &e) {
		return errors.New(e.Message)
	}
	return err
}

// requestedBy is who the audit history says asked: the command line and the
// user running it.
func (a *app) requestedBy() string {
	user := a.env.Getenv("USER")
	if user == "" {
		user = "ops"
	}
	return "cli:" + strings.TrimSpace(user)
}
