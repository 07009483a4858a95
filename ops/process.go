package ops

import (
	"context"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/wippidu/wippidu/cli"
	"github.com/wippidu/wippidu/schema"
	"github.com/wippidu/wippidu/worker"
)

func migrateCommand(env cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply the app's and River's migrations (idempotent, safe concurrently)",
		Long: `migrate applies every migration of the app schema and of River's tables that the
database lacks. It is idempotent, and safe to run from several processes at once (one
applies, the others wait). Run it before the web tier starts on a new database, and after
every upgrade; 'worker run' applies them too.`,
		Example: `  DATABASE_URL=postgres://wippidu@db:5432/wippidu worker migrate`,
		Args:    cobra.NoArgs,
		RunE: withApp(env, needs{}, func(ctx context.Context, a *app, _ []string) error {
			if err := schema.Migrate(ctx, a.pool, a.logger); err != nil {
				return err
			}
			v, err := schema.Version(ctx, a.pool)
			if err != nil {
				return err
			}
			a.logger.InfoContext(ctx, "migrations applied", slog.Int("app_schema_version", v))
			return nil
		}),
	}
}

func runCommand(env cli.Env) *cobra.Command {
	var drain = worker.DefaultDrain
	cmd := &cobra.Command{
		Use:   "run [--drain 25s]",
		Short: "Work the job queues until SIGTERM, then let running jobs finish",
		Long: `run applies the migrations, then works export, import and maintenance jobs until
SIGTERM or Ctrl-C. Then it takes no new jobs and lets running ones finish for --drain;
jobs still running after that are cancelled: an import rolls back and goes back to the
queue for another worker. METRICS_ADDR serves /metrics and /healthz.`,
		Example: `  worker run
  worker run --drain 2m     # longer than the slowest job you would rather not restart`,
		Args: cobra.NoArgs,
		RunE: withApp(env, needs{}, func(ctx context.Context, a *app, _ []string) error {
			m := &worker.Main{Deps: a.deps, Drain: drain}
			if err := m.Run(ctx); err != nil {
				return err
			}
			<-ctx.Done()
			return m.Close()
		}),
	}
	cmd.Flags().DurationVar(&drain, "drain", drain, "how long running jobs may finish after SIGTERM before they are cancelled")
	return cmd
}
