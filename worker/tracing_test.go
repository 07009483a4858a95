package worker_test

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/wippidu/wippidu/internal/testdb"
)

func TestJobsAreTracedWhenTracingIsOn(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	prod := newInstance(t, instanceOpts{tracer: tp})
	testdb.Fixture(t, prod.pool)
	prod.exportFile(t)
	found := false
	for _, s := range rec.Ended() {
		if s.Name() == "river.work/export" {
			found = true
		}
	}
	if !found {
		var names []string
		for _, s := range rec.Ended() {
			names = append(names, s.Name())
		}
		t.Errorf("no river.work/export span; got %v", names)
	}
	_ = tp.Shutdown(context.Background())
}
