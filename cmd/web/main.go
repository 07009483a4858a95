// Command web is wippidu's thin web tier: login, the Import/Export page, JSON
// progress, streamed uploads and export downloads, the River UI and health and
// metrics endpoints. It enqueues jobs; worker processes run them.
package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/wippidu/wippidu/cli"
	"github.com/wippidu/wippidu/config"
	"github.com/wippidu/wippidu/dump"
	"github.com/wippidu/wippidu/web"
)

func main() { cli.Main(newRoot) }

func newRoot(env cli.Env) *cobra.Command {
	root := &cobra.Command{
		Use:   "web",
		Short: "Serve the web tier on LISTEN_ADDR until SIGTERM",
		Long: `web serves wippidu's web tier on LISTEN_ADDR: login, the Import/Export page, uploads and
downloads of dumps, job progress, the River UI (/admin/river/), /healthz, /readyz and
/metrics. It enqueues jobs; 'worker run' works them. It takes no arguments: every setting
comes from the environment ('web help environment' lists them), and it stops at once,
saying why, when one is wrong, the database cannot be reached or is not migrated.
SIGTERM or Ctrl-C lets requests in flight finish, then stops.`,
		Example: `  DATABASE_URL=postgres://wippidu@db:5432/wippidu SESSION_SECRET=… web`,
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return serve(cmd.Context(), env) },
	}
	root.AddCommand(cli.Environment())
	return root
}

// serve runs the web tier until ctx ends.
func serve(ctx context.Context, env cli.Env) error {
	cfg, err := config.Parse(env.Getenv)
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return fmt.Errorf("log level: %w", err)
	}
	logger := slog.New(slog.NewJSONHandler(env.Stderr, &slog.HandlerOptions{Level: level}))
	m := web.NewMain(cfg, logger, dump.CheckUpload)
	if err := m.Run(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	logger.Info("web shutting down")
	return m.Close()
}
