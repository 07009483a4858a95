package web

import (
	"context"
	"errors"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/wippidu/wippidu/jobs"
	"github.com/wippidu/wippidu/schema"
)

// httpMetrics count requests by route (the pattern, never the raw path) and status.
type httpMetrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg *prometheus.Registry) (*httpMetrics, error) {
	m := &httpMetrics{
		registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wippidu_http_requests_total",
			Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "wippidu_http_request_duration_seconds",
			Help:    "HTTP request durations by route, method and status.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method", "status"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	if err := jobs.RegisterMetrics(reg); err != nil {
		return nil, err
	}
	return m, nil
}

func (s *Server) metricsHandler() http.Handler {
	return promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{})
}

// observe logs every request and counts it in the metrics.
func (s *Server) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	status := strconv.Itoa(c.Writer.Status())
	elapsed := time.Since(start)
	s.metrics.requests.WithLabelValues(route, c.Request.Method, status).Inc()
	s.metrics.duration.WithLabelValues(route, c.Request.Method, status).Observe(elapsed.Seconds())
	attrs := []any{"method", c.Request.Method, "route", route, "path", c.Request.URL.Path,
		"status", c.Writer.Status(), "duration_ms", elapsed.Milliseconds(), "bytes", c.Writer.Size(),
		"client", s.clientIP(c.Request)}
	if ss := currentSession(c); ss != nil {
		attrs = append(attrs, "user", ss.Email)
	}
	s.logger.InfoContext(c.Request.Context(), "http request", attrs...)
}

// recovery turns a panic into a logged 500 instead of a dropped connection.
func (s *Server) recovery(c *gin.Context) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
			panic(v)
		}
		s.logger.ErrorContext(c.Request.Context(), "panic", "route", c.FullPath(), "panic", v, "stack", string(debug.Stack()))
		if !c.Writer.Written() {
			c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"error": "Internal error."})
			return
		}
		c.Abort()
	}()
	c.Next()
}

func (s *Server) healthz(c *gin.Context) { c.String(http.StatusOK, "ok\n") }

// readyz reports whether the database answers and holds every migration this
// build needs, and whether storage answers.
func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	if err := s.pool.Ping(ctx); err != nil {
		s.logger.WarnContext(ctx, "not ready: database", "error", err)
		c.String(http.StatusServiceUnavailable, "database unreachable\n")
		return
	}
	var notMigrated *schema.NotMigratedError
	if err := schema.CheckMigrated(ctx, s.pool); errors.As(err, &notMigrated) {
		c.String(http.StatusServiceUnavailable, "%s\n", err)
		return
	} else if err != nil {
		s.logger.WarnContext(ctx, "not ready: database", "error", err)
		c.String(http.StatusServiceUnavailable, "database unreachable\n")
		return
	}
	if err := s.store.Ping(ctx); err != nil {
		s.logger.WarnContext(ctx, "not ready: storage", "error", err)
		c.String(http.StatusServiceUnavailable, "storage unreachable\n")
		return
	}
	c.String(http.StatusOK, "ready\n")
}
