package workercmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/riverqueue/river"

	"github.com/wippidu/wippidu/jobs"
	"github.com/wippidu/wippidu/schema"
)

func (a *app) migrate(ctx context.Context) error {
	if err := schema.Migrate(ctx, a.pool, a.logger); err != nil {
		return err
	}
	v, err := schema.Version(ctx, a.pool)
	if err != nil {
		return err
	}
	a.logger.InfoContext(ctx, "migrations applied", slog.Int("app_schema_version", v))
	return nil
}

// runWorker processes jobs until ctx ends (SIGTERM), then stops taking jobs and
// waits up to --drain for running ones. Jobs still running after that are cancelled:
// an import rolls back and goes back to the queue for another worker.
func (a *app) runWorker(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	drain := fs.Duration("drain", 25*time.Second, "how long to let running jobs finish after SIGTERM")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := schema.Migrate(ctx, a.pool, a.logger); err != nil {
		return err
	}
	client, err := jobs.NewClient(a.deps, jobs.ClientOptions{Queues: jobs.DefaultQueues(a.cfg.WorkerConcurrency), Periodic: true})
	if err != nil {
		return err
	}
	if err := client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start river client: %w", err)
	}
	a.logger.InfoContext(ctx, "worker started", slog.Bool("imports_allowed", a.cfg.AllowProdImport),
		slog.String("hostname", a.cfg.Hostname))
	if a.cfg.MetricsAddr != "" {
		srv, err := a.serveMetrics(client)
		if err != nil {
			return err
		}
		defer srv.Close()
	}
	<-ctx.Done()

	a.logger.Info("shutting down: no new jobs, draining running ones", slog.Duration("drain", *drain))
	stopCtx, cancel := context.WithTimeout(context.Background(), *drain)
	defer cancel()
	if err := client.Stop(stopCtx); err == nil {
		a.logger.Info("worker stopped")
		return nil
	}
	a.logger.Warn("drain timed out: cancelling running jobs; they roll back and will be retried")
	hardCtx, cancel2 := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel2()
	if err := client.StopAndCancel(hardCtx); err != nil {
		return fmt.Errorf("stop worker: %w", err)
	}
	a.logger.Info("worker stopped")
	return nil
}

// serveMetrics serves the worker's Prometheus metrics and a liveness endpoint that
// fails once the River client has stopped.
func (a *app) serveMetrics(client *river.Client[pgx.Tx]) (*http.Server, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := jobs.RegisterMetrics(reg); err != nil {
		return nil, fmt.Errorf("register metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		select {
		case <-client.Stopped():
			http.Error(w, "stopped", http.StatusServiceUnavailable)
		default:
			_, _ = w.Write([]byte("ok\n"))
		}
	})
	ln, err := net.Listen("tcp", a.cfg.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("METRICS_ADDR: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.logger.Error("metrics server", slog.Any("error", err))
		}
	}()
	a.logger.Info("serving metrics", slog.String("addr", ln.Addr().String()))
	return srv, nil
}
