package jobs

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/audit"
)

var (
	metricJobs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wippidu_jobs_total",
		Help: "Export and import job attempts by kind and outcome (succeeded, queued for retry, failed, cancelled).",
	}, []string{"kind", "outcome"})
	metricRows = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wippidu_rows_total",
		Help: "Rows exported or imported.",
	}, []string{"kind"})
	metricBytes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wippidu_dump_bytes_total",
		Help: "Compressed dump bytes exported or imported.",
	}, []string{"kind"})
	metricRescued = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "wippidu_jobs_rescued_total",
		Help: "Jobs handed back for a retry because their worker's session was gone.",
	})
	metricScheduled = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wippidu_scheduled_runs_total",
		Help: "Runs of REFRESH_SCHEDULE (kind import) and EXPORT_SCHEDULE (kind export) by outcome: started, skipped_none, skipped_too_old, skipped_nothing_new, skipped_busy, failed.",
	}, []string{"kind", "outcome"})
)

// CountAttempt counts an export or import attempt that ended with outcome (an
// audit status).
func CountAttempt(kind wippidu.Kind, outcome audit.Status) {
	metricJobs.WithLabelValues(string(kind), string(outcome)).Inc()
}

// CountRows counts rows exported or imported.
func CountRows(kind wippidu.Kind, n int64) { metricRows.WithLabelValues(string(kind)).Add(float64(n)) }

// CountBytes counts compressed dump bytes exported or imported.
func CountBytes(kind wippidu.Kind, n int64) {
	metricBytes.WithLabelValues(string(kind)).Add(float64(n))
}

// CountRescued counts a job handed back because its worker was lost.
func CountRescued() { metricRescued.Inc() }

// CountScheduledRun counts a run of a schedule (kind is the job kind it starts)
// that ended with outcome, one of the Outcome constants.
func CountScheduledRun(kind wippidu.Kind, outcome string) {
	metricScheduled.WithLabelValues(string(kind), outcome).Inc()
}

// RegisterMetrics registers the job metrics with a Prometheus registry: the
// worker's, where they move, and the web tier's, so that one dashboard finds them
// on either.
func RegisterMetrics(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{metricJobs, metricRows, metricBytes, metricRescued, metricScheduled} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
