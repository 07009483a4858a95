package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/internal/testdb"
)

// TestOneJobNumberAndOneFormat runs an export and an import through the page as a
// person does and checks that the progress box, the history, the status route
// and the result panel name each job by the same number (the audit id, River's
// job id only as a detail) and write rows and sizes the same way.
func TestOneJobNumberAndOneFormat(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{allowImport: true, work: true, fixture: true})
	testdb.BulkMessages(t, e.pool, 1500) // counts above a thousand show their separators
	// River's ids run far ahead of the history's, as on any instance that has
	// run periodic jobs: a route that took one for the other would show it.
	e.count(`SELECT setval('river_job_id_seq', 5000)`)
	b := e.browser()
	b.login(adminEmail)

	rec := b.postForm("/admin/data/export", url.Values{"csrf_token": {b.csrf}, "include_attachments": {"true"}}, false)
	exportID := strings.TrimPrefix(rec.Header().Get("Location"), "/admin/data?job=")
	exportJob := strconv.Itoa(e.count(`SELECT river_job_id FROM import_export_audits WHERE id = ` + exportID))
	st := waitJob(t, b, exportID)
	if got := jsonNumber(int64(st["audit_id"].(float64))); got != exportID {
		t.Fatalf("export: the page's address says #%s, the job's audit is %s", exportID, got)
	}
	if got := jsonNumber(int64(st["job_id"].(float64))); got != exportJob || got == exportID {
		t.Errorf("export #%s: the status carries River's job id %s, want %s", exportID, got, exportJob)
	}
	if rec := b.get("/admin/data/jobs/"+exportJob, true); rec.Code != http.StatusNotFound {
		t.Errorf("the status route answers River's job id %s: got %d, want 404 (it takes the audit id)", exportJob, rec.Code)
	}
	file := b.get("/admin/data/exports/"+exportID+"/download", false)

	rec = b.postImport(b.defaultImport(file.Body.Bytes()), false, nil)
	loc := rec.Header().Get("Location")
	importID := strings.TrimPrefix(loc, "/admin/data?job=")
	if rec.Code != http.StatusSeeOther || importID == loc || importID == exportID {
		t.Fatalf("import post: got %d to %q", rec.Code, loc)
	}
	importJob := strconv.Itoa(e.count(`SELECT river_job_id FROM import_export_audits WHERE id = ` + importID))
	st = waitJob(t, b, importID)
	if st["succeeded"] != true {
		t.Fatalf("import: %v", st)
	}
	// The status route, opened in a browser, leads to the page of the same job.
	if r := b.get("/admin/data/jobs/"+importID, false); r.Header().Get("Location") != loc {
		t.Errorf("status route without JSON: got %q, want %q", r.Header().Get("Location"), loc)
	}
	rows := int64(st["rows_done"].(float64))
	if st["rows_text"] != wippidu.FormatCount(rows) || !strings.Contains(st["rows_text"].(string), ",") {
		t.Errorf("status rows_text %q for %d rows", st["rows_text"], rows)
	}
	if st["phase_label"] != "Done" || st["percent"] != 100.0 {
		t.Errorf("finished job: phase_label %q, percent %v", st["phase_label"], st["percent"])
	}

	page := b.get(loc, false).Body.String()
	for _, want := range []string{
		`id="job-title">Import #` + importID + `<`,
		`id="job-river">River job ` + importJob + `<`,
		`id="job-rows">` + wippidu.FormatCount(rows) + `<`,
		`id="result-rows">` + wippidu.FormatCount(rows) + `<`,
		`id="job-phase">Done<`,
		`<a href="/admin/data?job=` + importID + `">#` + importID + `</a> <small class="muted">River job ` + importJob + `</small>`,
		`<a href="/admin/data?job=` + exportID + `">#` + exportID + `</a>`,
		`href="/admin/data/browse"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// Every row count on the page is written with separators, every size in binary units.
	if m := regexp.MustCompile(`class="num">(\d{4,})<`).FindStringSubmatch(page); m != nil {
		t.Errorf("a count without separators: %s", m[1])
	}
	if m := regexp.MustCompile(`\d (MB|KB|GB)\b`).FindString(page); m != "" {
		t.Errorf("a size in decimal units: %q", m)
	}
	if strings.Contains(page, string(wippidu.PhaseForeignKeys)) {
		t.Error("a raw phase name on the page")
	}
}

// TestInstanceIsNamedBeforeLogin: production and staging tell themselves apart on
// the login page, and staging shows its banner there once it holds imported data.
func TestInstanceIsNamedBeforeLogin(t *testing.T) {
	t.Parallel()
	prod := newEnv(t, envOpts{hostname: "app.wippidu.net"})
	page := prod.browser().get("/login", false).Body.String()
	if !strings.Contains(page, `id="login-instance">to <strong>app.wippidu.net</strong>`) || !strings.Contains(page, `id="production-pill"`) {
		t.Errorf("production login page: %s", between(page, "<main>", "</form>"))
	}

	staging := newEnv(t, envOpts{allowImport: true, work: true})
	page = staging.browser().get("/login", false).Body.String()
	if !strings.Contains(page, `<strong>`+stagingHost+`</strong> <span class="pill staging" id="staging-pill">`) || strings.Contains(page, "staging-banner") {
		t.Errorf("staging login page before an import: %s", between(page, "<body>", "</form>"))
	}
	b := staging.browser()
	b.login(adminEmail)
	rec := b.postImport(b.defaultImport(smallDump(t)), false, nil)
	if st := waitJob(t, b, strings.TrimPrefix(rec.Header().Get("Location"), "/admin/data?job=")); st["succeeded"] != true {
		t.Fatalf("import: %v", st)
	}
	page = staging.browser().get("/login", false).Body.String()
	if !strings.Contains(page, `class="staging-banner"`) {
		t.Errorf("staging login page after an import has no banner: %s", between(page, "<body>", "</header>"))
	}
}

// TestForbiddenPageSaysWhatIsMissing: a teacher who opens an admin page learns
// who they are logged in as and which role the page needs.
func TestForbiddenPageSaysWhatIsMissing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	b := e.browser()
	b.login(teacherEmail)
	rec := b.get("/admin/data", false)
	page := rec.Body.String()
	if rec.Code != http.StatusForbidden {
		t.Fatalf("got %d, want 403", rec.Code)
	}
	for _, want := range []string{`<title>Not allowed · wippidu</title>`, `id="error-title">Not allowed<`,
		"This page is for administrators only.", "logged in as <strong>" + teacherEmail + "</strong> with the role <strong>teacher</strong>",
		"needs the <strong>admin</strong> role"} {
		if !strings.Contains(page, want) {
			t.Errorf("403 page lacks %q", want)
		}
	}
	if strings.Contains(page, "Something went wrong") {
		t.Error("403 page says something went wrong")
	}
}

// TestPageLeadsToTheInstanceName: an admin who reached staging by its address is
// asked for that address (the request's Host decides) and shown the way to the
// instance's own name, which the instructions use.
func TestPageLeadsToTheInstanceName(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{allowImport: true})
	b := e.browser()
	b.login(adminEmail)
	page := b.get("/admin/data", false).Body.String()
	if strings.Contains(page, `id="host-notice"`) {
		t.Error("a notice although the page was opened by the instance's name")
	}
	b.host = "127.0.0.1:8082"
	page = b.get("/admin/data", false).Body.String()
	if !strings.Contains(page, `<code id="expected-host">127.0.0.1</code>`) {
		t.Errorf("expected host: %s", between(page, "Confirm hostname", "</label>"))
	}
	if !strings.Contains(page, `<a href="http://`+stagingHost+`:8082/admin/data">`) {
		t.Errorf("no way to %s: %s", stagingHost, between(page, `id="host-notice"`, "</div>"))
	}
}
