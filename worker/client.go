package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
	"github.com/riverqueue/rivercontrib/otelriver"
	"go.opentelemetry.io/otel/trace"

	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/config"
	"github.com/wippidu/wippidu/jobs"
	"github.com/wippidu/wippidu/pull"
	"github.com/wippidu/wippidu/sealed"
	"github.com/wippidu/wippidu/storage"
)

// Deps is what the workers need.
type Deps struct {
	Pool    *pgxpool.Pool
	Storage storage.Storage
	// Source is production's storage (SOURCE_STORAGE_URL), only ever read; nil
	// when not configured.
	Source storage.Storage
	Config config.Config
	Policy *anonymizer.Policy
	Logger *slog.Logger
	// TracerProvider receives the jobs' OpenTelemetry spans when
	// Config.OTelTracing is on; nil means the global provider.
	TracerProvider trace.TracerProvider
}

// RescueMargin is how much longer than JobTimeout River waits before it rescues a
// job as stuck: a running import is never rescued and run twice. Dead workers are
// found much sooner by the liveness job.
const RescueMargin = time.Hour

// NewWorkers registers every worker.
func NewWorkers(deps *Deps) *river.Workers {
	ws := river.NewWorkers()
	river.AddWorker(ws, &ExportWorker{deps: deps})
	river.AddWorker(ws, &ImportWorker{deps: deps})
	river.AddWorker(ws, &LivenessWorker{deps: deps})
	river.AddWorker(ws, &HousekeepingWorker{deps: deps})
	river.AddWorker(ws, &ScheduledRefreshWorker{deps: deps})
	river.AddWorker(ws, &ScheduledExportWorker{deps: deps})
	return ws
}

// DefaultQueues are the queues a worker process serves. Imports run one at a time
// per process (and one at a time overall, through the import lock).
func DefaultQueues(concurrency int) map[string]river.QueueConfig {
	return map[string]river.QueueConfig{
		jobs.QueueImports:     {MaxWorkers: 1},
		jobs.QueueExports:     {MaxWorkers: max(1, concurrency)},
		jobs.QueueMaintenance: {MaxWorkers: 2},
	}
}

// ClientOptions configure NewClient.
type ClientOptions struct {
	// Queues to work; nil makes a client that only inserts and manages jobs, with
	// every worker registered (jobs.NewInsertClient makes one without workers).
	Queues map[string]river.QueueConfig
	// Periodic schedules the liveness and housekeeping jobs (worker processes),
	// and the scheduled refresh and export where REFRESH_SCHEDULE or
	// EXPORT_SCHEDULE is set.
	Periodic bool
	// RetryPolicy overrides River's default backoff between attempts.
	RetryPolicy river.ClientRetryPolicy
}

// NewClient returns a River client with every worker registered.
func NewClient(deps *Deps, opts ClientOptions) (*river.Client[pgx.Tx], error) {
	cfg := &river.Config{
		Logger:                      deps.Logger,
		Workers:                     NewWorkers(deps),
		Queues:                      opts.Queues,
		JobTimeout:                  deps.Config.JobTimeout,
		RescueStuckJobsAfter:        deps.Config.JobTimeout + RescueMargin,
		CompletedJobRetentionPeriod: 24 * time.Hour,
		RetryPolicy:                 opts.RetryPolicy,
	}
	if deps.Config.OTelTracing {
		cfg.Middleware = []rivertype.Middleware{otelriver.NewMiddleware(&otelriver.MiddlewareConfig{
			EnableWorkSpanJobKindSuffix: true,
			EnableTracePropagation:      true,
			TracerProvider:              deps.TracerProvider,
		})}
	}
	if opts.Periodic {
		cfg.PeriodicJobs = []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(LivenessInterval),
				func() (river.JobArgs, *river.InsertOpts) { return jobs.LivenessArgs{}, nil },
				&river.PeriodicJobOpts{RunOnStart: true}),
			river.NewPeriodicJob(river.PeriodicInterval(10*time.Minute),
				func() (river.JobArgs, *river.InsertOpts) { return jobs.HousekeepingArgs{}, nil },
				&river.PeriodicJobOpts{RunOnStart: true}),
		}
		scheduled, err := schedules(deps.Config)
		if err != nil {
			return nil, err
		}
		cfg.PeriodicJobs = append(cfg.PeriodicJobs, scheduled...)
	}
	client, err := river.NewClient(riverpgxv5.New(deps.Pool), cfg)
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	return client, nil
}

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

// PullOptions are how the worker reads production's exports (package pull):
// encrypted ones through IMPORT_IDENTITY, which config.Parse has checked.
func (d *Deps) PullOptions() pull.Options {
	dec, err := sealed.NewDecrypter(d.Config.ImportIdentity)
	if err != nil {
		// Without a usable identity encrypted exports are listed as unreadable,
		// with the message that says why.
		dec = nil
	}
	return pull.Options{Unwrap: dec.Unwrap, IsEncrypted: sealed.IsSealedName}
}
