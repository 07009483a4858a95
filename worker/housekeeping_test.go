package worker_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/storage/file"
	"github.com/wippidu/wippidu/worker"
)

func TestHousekeepingDeletesWhatIsNoLongerNeeded(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	store, err := file.New(root)
	if err != nil {
		t.Fatal(err)
	}
	in := newInstance(t, instanceOpts{allowImport: true, store: store})
	ctx := context.Background()
	now := time.Now()
	put := func(key string, age time.Duration) {
		t.Helper()
		if _, err := store.Put(ctx, key, strings.NewReader("dump")); err != nil {
			t.Fatal(err)
		}
		mt := now.Add(-age)
		if err := os.Chtimes(filepath.Join(root, filepath.FromSlash(key)), mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	addAudit := func(key string, status audit.Status, finished ...time.Duration) {
		t.Helper()
		var at *time.Time
		if len(finished) > 0 {
			f := now.Add(-finished[0])
			at = &f
		}
		if _, err := in.pool.Exec(ctx, `INSERT INTO import_export_audits (kind, status, requested_by, object_key, finished_at) VALUES ('import', $1, 'x', $2, $3)`, status, key, at); err != nil {
			t.Fatal(err)
		}
	}
	put("exports/1/wippidu-export-old.json.gz", 25*time.Hour)
	put("exports/2/wippidu-export-new.json.gz", time.Hour)
	put("imports/imported.json.gz", time.Minute)
	addAudit("imports/imported.json.gz", audit.StatusSucceeded)
	put("imports/queued.json.gz", 30*time.Hour)
	addAudit("imports/queued.json.gz", audit.StatusQueued)
	put("imports/failed-old.json.gz", 30*time.Hour)
	addAudit("imports/failed-old.json.gz", audit.StatusFailed, 25*time.Hour)
	// Uploaded long ago, failed an hour ago: held for a retry.
	put("imports/failed-recently.json.gz", 30*time.Hour)
	addAudit("imports/failed-recently.json.gz", audit.StatusFailed, time.Hour)
	put("imports/cancelled.json.gz", time.Minute)
	addAudit("imports/cancelled.json.gz", audit.StatusCancelled, time.Minute)
	put("imports/abandoned.json.gz", 7*time.Hour)
	put("imports/uploading.json.gz", time.Minute)

	// A temp file left by a process killed in the middle of an upload.
	killed := filepath.Join(root, "imports", ".tmp-killed-upload")
	if err := os.WriteFile(killed, []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := now.Add(-30 * time.Hour)
	if err := os.Chtimes(killed, old, old); err != nil {
		t.Fatal(err)
	}

	if _, err := in.pool.Exec(ctx, `INSERT INTO web_sessions (token_hash, user_id, email, role, csrf_token, expires_at)
		VALUES ('expired'::bytea, 1, 'a@b', 'admin', 'x', now() - interval '1 minute'), ('live'::bytea, 1, 'a@b', 'admin', 'y', now() + interval '1 hour')`); err != nil {
		t.Fatal(err)
	}

	if err := worker.Housekeep(ctx, in.deps, now); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		"exports/1/wippidu-export-old.json.gz": false, // past EXPORT_RETENTION (24h)
		"exports/2/wippidu-export-new.json.gz": true,
		"imports/imported.json.gz":             false, // production PII, already imported
		"imports/queued.json.gz":               true,  // still waiting for its job
		"imports/failed-old.json.gz":           false, // failed past FAILED_UPLOAD_RETENTION (24h)
		"imports/failed-recently.json.gz":      true,  // still held for a retry
		"imports/cancelled.json.gz":            false, // no retry can use it
		"imports/abandoned.json.gz":            false, // no job, old
		"imports/uploading.json.gz":            true,  // no job yet, maybe still being submitted
	}
	var sessions []string
	rows, _ := in.pool.Query(ctx, "SELECT convert_from(token_hash, 'UTF8') FROM web_sessions")
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		sessions = append(sessions, s)
	}
	if len(sessions) != 1 || sessions[0] != "live" {
		t.Errorf("sessions after housekeeping: %v, want only the live one", sessions)
	}
	if _, err := os.Stat(killed); !os.IsNotExist(err) {
		t.Errorf("temp file of a killed upload not swept: %v", err)
	}
	for key, keep := range want {
		_, err := store.Stat(ctx, key)
		if exists := err == nil; exists != keep {
			t.Errorf("%s: exists %v, want %v (%v)", key, exists, keep, err)
		} else if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: %v", key, err)
		}
	}
}
