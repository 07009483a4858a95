package worker

import (
	"context"
	"errors"
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

// DefaultDrain is how long Close lets running jobs finish before it cancels them.
const DefaultDrain = 25 * time.Second

// Main is a worker process wired from its dependencies: a River client that works
// every queue, and the metrics and health endpoints when METRICS_ADDR is set.
// `worker run` runs it; end-to-end tests run it too.
type Main struct {
	Deps  *Deps
	Drain time.Duration // DefaultDrain when 0

	client  *river.Client[pgx.Tx]
	metrics *http.Server
}

// NewMain returns a Main for deps.
func NewMain(deps *Deps) *Main { return &Main{Deps: deps} }

// Run applies the migrations, starts working jobs in the background and serves
// metrics. Call Close to stop.
func (m *Main) Run(ctx context.Context) error {
	d := m.Deps
	if err := schema.Migrate(ctx, d.Pool, d.Logger); err != nil {
		return err
	}
	client, err := NewClient(d, ClientOptions{Queues: DefaultQueues(d.Config.WorkerConcurrency), Periodic: true})
	if err != nil {
		return err
	}
	if err := client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start river client: %w", err)
	}
	m.client = client
	d.Logger.InfoContext(ctx, "worker started", slog.Bool("imports_allowed", d.Config.AllowProdImport),
		slog.String("hostname", d.Config.Hostname))
	for _, w := range d.Config.Warnings() {
		d.Logger.WarnContext(ctx, w)
	}
	if d.Config.MetricsAddr != "" {
		if m.metrics, err = serveMetrics(d, client); err != nil {
			_ = m.Close()
			return err
		}
	}
	return nil
}

// Close stops taking jobs and waits up to Drain for running ones. Jobs still
// running after that are cancelled: an import rolls back and goes back to the
// queue for another worker.
func (m *Main) Close() error {
	log := m.Deps.Logger
	if m.metrics != nil {
		defer m.metrics.Close()
	}
	if m.client == nil {
		return nil
	}
	drain := m.Drain
	if drain <= 0 {
		drain = DefaultDrain
	}
	log.Info("shutting down: no new jobs, draining running ones", slog.Duration("drain", drain))
	stopCtx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	if err := m.client.Stop(stopCtx); err == nil {
		log.Info("worker stopped")
		return nil
	}
	log.Warn("drain timed out: cancelling running jobs; they roll back and will be retried")
	hardCtx, cancel2 := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel2()
	if err := m.client.StopAndCancel(hardCtx); err != nil {
		return fmt.Errorf("stop worker: %w", err)
	}
	log.Info("worker stopped")
	return nil
}

// serveMetrics serves the worker's Prometheus metrics and a liveness endpoint that
// fails once the River client has stopped.
func serveMetrics(d *Deps, client *river.Client[pgx.Tx]) (*http.Server, error) {
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
	ln, err := net.Listen("tcp", d.Config.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("METRICS_ADDR: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.Logger.Error("metrics server", slog.Any("error", err))
		}
	}()
	d.Logger.Info("serving metrics", slog.String("addr", ln.Addr().String()))
	return srv, nil
}
