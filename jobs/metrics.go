package jobs

import "github.com/prometheus/client_golang/prometheus"

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
)

// RegisterMetrics registers the job metrics with a Prometheus registry.
func RegisterMetrics(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{metricJobs, metricRows, metricBytes, metricRescued} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
