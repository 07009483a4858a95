package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// TestReadyzNamesAMissingMigration: a database that lacks this build's newest
// migration (a new release deployed before `worker migrate` ran) is not ready,
// and /readyz says what to run.
func TestReadyzNamesAMissingMigration(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	b := e.browser()
	if rec := b.get("/readyz", false); rec.Code != http.StatusOK {
		t.Fatalf("migrated: got %d %s", rec.Code, rec.Body)
	}
	if _, err := e.pool.Exec(context.Background(), `DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)`); err != nil {
		t.Fatal(err)
	}
	rec := b.get("/readyz", false)
	if body := rec.Body.String(); rec.Code != http.StatusServiceUnavailable || !strings.Contains(body, "the database is not migrated: its wippidu schema is at version") ||
		!strings.Contains(body, "Run `worker migrate`") {
		t.Errorf("one migration short: got %d %q, want 503 and `worker migrate`", rec.Code, body)
	}
}
