package web_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/internal/poll"
	"github.com/wippidu/wippidu/storage/file"
	"github.com/wippidu/wippidu/worker"
)

// TestHistoryShowsScheduledSkips runs the scheduled refresh every second against
// an empty production storage: the history shows the skipped run once, as
// skipped, with its reason and how often it was seen, not as an error.
func TestHistoryShowsScheduledSkips(t *testing.T) {
	t.Parallel()
	sourceDir := t.TempDir()
	l := startLive(t, slog.New(slog.DiscardHandler), func(v map[string]string) {
		v["REFRESH_SCHEDULE"] = "@every 1s"
		v["SOURCE_STORAGE_URL"] = "file://" + sourceDir
	})
	l.addAdmin(adminEmail)
	source, err := file.New(sourceDir)
	if err != nil {
		t.Fatal(err)
	}
	deps := &worker.Deps{Pool: l.pool, Storage: l.store, Source: source, Config: l.cfg,
		Policy: anonymizer.DefaultPolicy(), Logger: slog.New(slog.DiscardHandler)}
	client, err := worker.NewClient(deps, worker.ClientOptions{Queues: worker.DefaultQueues(1), Periodic: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = client.StopAndCancel(ctx)
	})
	poll.Until(t, "the scheduled refresh to skip twice", 30*time.Second, func() bool {
		n := pgtest.Strings(t, l.pool, `SELECT options->>'times' FROM import_export_audits
			WHERE status = 'skipped' AND requested_by = 'schedule' AND (options->>'times')::int >= 2`)
		return len(n) > 0
	})

	page, err := l.login(adminEmail).Page(context.Background(), "/admin/data")
	if err != nil {
		t.Fatal(err)
	}
	row := between(page, `data-status="skipped"`, "</tr>")
	if strings.Count(page, `class="pill skipped"`) != 1 || !strings.Contains(row, "schedule") ||
		!strings.Contains(row, `<td class="reason">no export in the source storage <small class="muted">(`) ||
		!strings.Contains(row, " times, last ") {
		t.Errorf("history row of the skipped refresh:\n%s", row)
	}
	if strings.Contains(row, `class="err"`) {
		t.Errorf("a skip is shown as an error:\n%s", row)
	}
}
