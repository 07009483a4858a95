// Command web is wippidu's thin web tier: login, the Import/Export page, JSON
// progress, streamed uploads and export downloads, the River UI and health and
// metrics endpoints. It enqueues jobs; worker processes run them.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/wippidu/wippidu/config"
	"github.com/wippidu/wippidu/dump"
	"github.com/wippidu/wippidu/web"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "web:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return fmt.Errorf("log level: %w", err)
	}
	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := web.NewMain(cfg, logger, dump.CheckUpload)
	if err := m.Run(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	logger.Info("web shutting down")
	return m.Close()
}
