// Package worker is a wippidu worker process: the River workers that run exports,
// imports, the liveness check and housekeeping, Main (the process that works the
// queues, as `worker run` and end-to-end tests run it), and the `worker` command
// that gives ops the commands to migrate, export, import and manage jobs.
package worker

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/config"
	"github.com/wippidu/wippidu/jobs"
	"github.com/wippidu/wippidu/storage"
)

const usage = `usage: worker <command> [flags]

commands:
  migrate                                          apply app and River migrations (idempotent)
  run                                              process jobs until SIGTERM, then drain
  export [--no-attachments] [--inline] --out FILE  enqueue an export, wait, save the file
  import --confirm-host HOST [--keep emails,names,...] [--risk-ack TEXT] [--inline] FILE
                                                   upload FILE, enqueue an import, wait; progress on
                                                   stderr, result JSON on stdout; exit 0 only on success;
                                                   --dry-run previews it and rolls it back
  import --from-source NAME --confirm-host HOST [--keep …] [--risk-ack TEXT] [--inline]
                                                   the same for an export in SOURCE_STORAGE_URL (its file
                                                   name or key), read from there: nothing is uploaded
  import --list-source                             list the newest exports in SOURCE_STORAGE_URL
  jobs list | retry ID | cancel ID                 inspect and manage export/import jobs

Configuration comes from the environment (DATABASE_URL, STORAGE_URL, APP_HOSTNAME, …);
see the README.
`

// Env is the command's environment: arguments, streams and configuration.
type Env struct {
	Args   []string
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

// exitError carries an exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

// Command runs the worker command line and returns its exit code: 0 success,
// 1 failure, 2 usage.
func Command(ctx context.Context, env Env) int {
	err := run(ctx, env)
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintln(env.Stderr, "worker:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(env.Stderr, "worker:", err)
	return 1
}

func usageError(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format+"\n\n"+usage, args...)}
}

func run(ctx context.Context, env Env) error {
	if len(env.Args) == 0 || env.Args[0] == "-h" || env.Args[0] == "--help" || env.Args[0] == "help" {
		fmt.Fprint(env.Stdout, usage)
		return nil
	}
	cmd, args := env.Args[0], env.Args[1:]
	switch cmd {
	case "migrate", "run", "export", "import", "jobs":
	default:
		return usageError("unknown command %q", cmd)
	}
	cfg, err := config.Parse(env.Getenv)
	if err != nil {
		return err
	}
	quiet := cmd == "export" || cmd == "import" || cmd == "jobs"
	logger := newLogger(env.Stderr, cfg.LogLevel, quiet)
	shutdownTracing, err := setupTracing(ctx, cfg.OTelTracing)
	if err != nil {
		return err
	}
	defer func() { _ = shutdownTracing(context.WithoutCancel(ctx)) }()
	app, err := open(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer app.close()

	switch cmd {
	case "migrate":
		return app.migrate(ctx)
	case "run":
		return app.runWorker(ctx, args)
	case "export":
		return app.export(ctx, env, args)
	case "import":
		return app.importDump(ctx, env, args)
	default:
		return app.jobsCmd(ctx, env, args)
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
	cfg     config.Config
	logger  *slog.Logger
	pool    *pgxpool.Pool
	storage storage.Storage
	deps    *Deps
}

func open(ctx context.Context, cfg config.Config, logger *slog.Logger) (*app, error) {
	pcfg, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	if pcfg.MaxConns < 8 {
		pcfg.MaxConns = 8
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	store, err := storage.Open(ctx, cfg.StorageURL)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("STORAGE_URL: %w", err)
	}
	source, err := OpenSource(ctx, cfg)
	if err != nil {
		pool.Close()
		return nil, err
	}
	a := &app{cfg: cfg, logger: logger, pool: pool, storage: store}
	a.deps = &Deps{Pool: pool, Storage: store, Source: source, Config: cfg, Policy: anonymizer.DefaultPolicy(), Logger: logger}
	return a, nil
}

func (a *app) close() { a.pool.Close() }

// OpenSource opens production's storage when SOURCE_STORAGE_URL is set; nil
// otherwise.
func OpenSource(ctx context.Context, cfg config.Config) (storage.Storage, error) {
	if cfg.SourceStorageURL == "" {
		return nil, nil
	}
	st, err := storage.Open(ctx, cfg.SourceStorageURL)
	if err != nil {
		return nil, fmt.Errorf("SOURCE_STORAGE_URL: %w", err)
	}
	return st, nil
}

// insertClient returns a River client that only inserts and reads jobs.
func (a *app) insertClient() (*river.Client[pgx.Tx], error) {
	return jobs.NewInsertClient(a.pool, a.logger)
}

// userError turns an error with a user-facing message into a failure exit.
func userError(err error) error {
	var e *wippidu.Error
	if errors.As(err, &e) {
		return &exitError{code: 1, err: errors.New(e.Message)}
	}
	return err
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return usageError("%s: %v", fs.Name(), err)
	}
	return nil
}

func requestedBy(getenv func(string) string) string {
	user := getenv("USER")
	if user == "" {
		user = "ops"
	}
	return "cli:" + strings.TrimSpace(user)
}
