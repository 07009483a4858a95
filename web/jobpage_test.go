package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/internal/poll"
	"github.com/wippidu/wippidu/jobs"
)

// TestEveryHistoryRowHasAPage: GET /admin/data/jobs/{id} takes the number the
// history shows (the audit id) for every kind and every status, refused and
// skipped rows included, and carries River's job id beside it; the page of each
// row (/admin/data?job=N) says what happened.
func TestEveryHistoryRowHasAPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{allowImport: true, work: true, fixture: true})
	e.count(`SELECT setval('river_job_id_seq', 7000)`) // River's ids are never the history's
	ctx := context.Background()
	b := e.browser()
	b.login(adminEmail)
	sub := &jobs.Submitter{Pool: e.pool, Client: e.client, Config: e.cfg}
	submitted := func(s jobs.Submitted, err error) int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return s.AuditID
	}
	wait := func(id int64) { t.Helper(); waitJob(t, b, strconv.FormatInt(id, 10)) }

	// One row of each status: what the page must say of it (empty: nothing
	// went wrong), and whether River still has its job.
	type row struct {
		id      int64
		kind    wippidu.Kind
		status  audit.Status
		says    string
		noRiver bool
	}
	var rows []row
	exported := submitted(sub.Export(ctx, jobs.ExportRequest{RequestedBy: adminEmail, IncludeAttachments: true}))
	wait(exported)
	rows = append(rows, row{exported, wippidu.KindExport, audit.StatusSucceeded, "", false})
	file := b.get("/admin/data/exports/"+strconv.FormatInt(exported, 10)+"/download", false).Body.Bytes()

	rec := b.postImportTo("/admin/data/preview", b.defaultImport(file), true, nil)
	var pre jobs.Submitted
	if err := json.Unmarshal(rec.Body.Bytes(), &pre); err != nil || pre.AuditID == 0 {
		t.Fatalf("preview: %d %s", rec.Code, rec.Body)
	}
	wait(pre.AuditID)
	rows = append(rows, row{pre.AuditID, wippidu.KindImport, audit.StatusPreviewed, "", false})

	gate := jobs.ImportGate{ConfirmHost: stagingHost, ActualHost: stagingHost}
	gone := submitted(sub.Import(ctx, jobs.ImportRequest{ImportGate: gate, RequestedBy: adminEmail, FileName: "gone.json.gz", ObjectKey: "imports/gone"}))
	wait(gone)
	rows = append(rows, row{gone, wippidu.KindImport, audit.StatusFailed, "The import failed; staging is unchanged. ", false})

	// Jobs in a queue no worker serves stay queued, or are cancelled by hand.
	queued := submitted(sub.Export(ctx, jobs.ExportRequest{RequestedBy: adminEmail, Queue: "nobody"}))
	rows = append(rows, row{queued, wippidu.KindExport, audit.StatusQueued, "", false})
	cancelled := submitted(sub.Export(ctx, jobs.ExportRequest{RequestedBy: adminEmail, Queue: "nobody"}))
	job, err := e.client.JobCancel(ctx, int64(e.count(`SELECT river_job_id FROM import_export_audits WHERE id = `+strconv.FormatInt(cancelled, 10))))
	if err != nil {
		t.Fatal(err)
	}
	if err := jobs.SyncAuditAfterOps(ctx, e.pool, job); err != nil {
		t.Fatal(err)
	}
	rows = append(rows, row{cancelled, wippidu.KindExport, audit.StatusCancelled, "The export was cancelled. ", false})

	refusal := b.postImport(b.defaultImport(file).set("confirm_host", "app.wippidu.net"), true, nil)
	if refusal.Code != http.StatusForbidden {
		t.Fatalf("wrong host: got %d %s", refusal.Code, refusal.Body)
	}
	refused := int64(e.count(`SELECT max(id) FROM import_export_audits WHERE status = 'refused'`))
	rows = append(rows, row{refused, wippidu.KindImport, audit.StatusRefused,
		"The import was refused; nothing was stored or run. " + wippidu.ErrHostMismatch.Message, true})

	for _, kind := range []wippidu.Kind{wippidu.KindImport, wippidu.KindExport} {
		id, _, err := audit.RecordSkip(ctx, e.pool, audit.Skip{Kind: kind, Status: audit.StatusSkipped, Outcome: "nothing_new",
			Reason: "No export newer than the last one imported."})
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row{id, kind, audit.StatusSkipped, "This scheduled run started nothing. No export newer than the last one imported.", true})
	}
	// River deletes finished jobs after a day; the history row still answers.
	if _, err := e.client.JobDeleteMany(ctx, river.NewJobDeleteManyParams().IDs(int64(e.count(
		`SELECT river_job_id FROM import_export_audits WHERE id = `+strconv.FormatInt(exported, 10))))); err != nil {
		t.Fatal(err)
	}

	check := func(r row) {
		t.Helper()
		id := strconv.FormatInt(r.id, 10)
		rec := b.get("/admin/data/jobs/"+id, true)
		var st jobs.Status
		if err := json.Unmarshal(rec.Body.Bytes(), &st); rec.Code != http.StatusOK || err != nil {
			t.Errorf("%s #%s (%s): got %d %s", r.kind, id, r.status, rec.Code, rec.Body)
			return
		}
		wantJob := int64(0)
		if !r.noRiver {
			wantJob = int64(e.count(`SELECT river_job_id FROM import_export_audits WHERE id = ` + id))
		}
		if st.AuditID != r.id || st.JobID != wantJob || st.Kind != r.kind || st.AuditStatus != r.status {
			t.Errorf("#%s: got audit_id %d, job_id %d, kind %s, audit_status %s; want %s, %d, %s, %s", id, st.AuditID, st.JobID, st.Kind, st.AuditStatus,
				id, wantJob, r.kind, r.status)
		}
		page := b.get("/admin/data?job="+id, false).Body.String()
		if !strings.Contains(page, "#"+id+"</span>") {
			t.Errorf("#%s (%s): the page has no box for it", id, r.status)
		}
		if r.says != "" && !strings.Contains(page, `<div id="job-error" class="alert error">`+r.says) {
			t.Errorf("#%s (%s): the page does not say %q:\n%s", id, r.status, r.says, between(page, `id="job"`, "</section>"))
		}
	}
	for _, r := range rows {
		check(r)
	}

	// A running import: another transaction holds staging's messages against
	// writes, so the import waits inside its attempt while its page is read.
	lock, err := e.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback(ctx) //nolint:errcheck // rolled back below; this is for a failed test
	if _, err := lock.Exec(ctx, `LOCK TABLE messages IN SHARE MODE`); err != nil {
		t.Fatal(err)
	}
	rec = b.postImport(b.defaultImport(file), true, nil)
	var running jobs.Submitted
	if err := json.Unmarshal(rec.Body.Bytes(), &running); err != nil || running.AuditID == 0 {
		t.Fatalf("import: %d %s", rec.Code, rec.Body)
	}
	poll.Until(t, "the import to be running", time.Minute, func() bool {
		return e.count(`SELECT count(*) FROM import_export_audits WHERE status = 'running' AND id = `+strconv.FormatInt(running.AuditID, 10)) == 1
	})
	check(row{running.AuditID, wippidu.KindImport, audit.StatusRunning, "", false})
	if err := lock.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	wait(running.AuditID)
}
