package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/browse"
	"github.com/wippidu/wippidu/schema"
)

// productionEmails are emails of the fixture and of addParents: none may reach
// staging's pages after an import with the defaults.
var productionEmails = []string{"admin@wippidu.example", "Teacher.Tom@Schule.DE", "paula.parent@example.org",
	"gone@example.org", `back\slash@example.org`, "parent1@production.example", "parent30@production.example"}

// addParents adds n parents with production-like emails, so that users fill
// more than one page.
func addParents(t *testing.T, e *env, n int) {
	t.Helper()
	_, err := e.pool.Exec(context.Background(), `INSERT INTO users (email, first_name, last_name, password_hash, role)
		SELECT 'parent' || g || '@production.example', 'Elternteil', 'Nummer ' || g, 'x', 'parent'
		FROM generate_series(1, $1::int) g`, n)
	if err != nil {
		t.Fatal(err)
	}
}

// importOwnExport exports the instance's data and imports it back into the same
// instance through the web tier, with the default form changed by change (nil:
// the defaults); it returns the import's audit id and finished job status.
func importOwnExport(t *testing.T, b *browser, change func(importForm) importForm) (int64, map[string]any) {
	t.Helper()
	rec := b.postForm("/admin/data/export", url.Values{"csrf_token": {b.csrf}, "include_attachments": {"true"}}, true)
	var exp struct {
		JobID   int64 `json:"job_id"`
		AuditID int64 `json:"audit_id"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &exp); err != nil || exp.JobID == 0 {
		t.Fatalf("export: %d %s", rec.Code, rec.Body)
	}
	waitJob(t, b, strconv.FormatInt(exp.AuditID, 10))
	file := b.get("/admin/data/exports/"+strconv.FormatInt(exp.AuditID, 10)+"/download", false)
	if file.Code != http.StatusOK {
		t.Fatalf("download: %d", file.Code)
	}
	form := b.defaultImport(file.Body.Bytes())
	if change != nil {
		form = change(form)
	}
	rec = b.postImport(form, true, map[string]string{"X-CSRF-Token": b.csrf})
	var imp struct {
		JobID   int64 `json:"job_id"`
		AuditID int64 `json:"audit_id"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &imp); err != nil || imp.JobID == 0 {
		t.Fatalf("import: %d %s", rec.Code, rec.Body)
	}
	st := waitJob(t, b, strconv.FormatInt(imp.AuditID, 10))
	if st["succeeded"] != true {
		t.Fatalf("import: %v", st)
	}
	return imp.AuditID, st
}

// browseJSON is the JSON answer of the browse page.
type browseJSON struct {
	Import *struct {
		AuditID            int64    `json:"audit_id"`
		SourceHost         string   `json:"source_host"`
		AnonymizersSkipped []string `json:"anonymizers_skipped"`
	} `json:"import"`
	Tables []browse.TableSummary `json:"tables"`
	Table  *browse.TablePage     `json:"table"`
}

func getBrowse(t *testing.T, b *browser, query string) browseJSON {
	t.Helper()
	rec := b.get("/admin/data/browse"+query, true)
	if rec.Code != http.StatusOK {
		t.Fatalf("browse%s: got %d %s", query, rec.Code, rec.Body)
	}
	var v browseJSON
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("browse%s: %v: %s", query, err, rec.Body)
	}
	return v
}

// getBrowsePage returns the HTML of the browse page.
func getBrowsePage(t *testing.T, b *browser, query string) string {
	t.Helper()
	rec := b.get("/admin/data/browse"+query, false)
	if rec.Code != http.StatusOK {
		t.Fatalf("browse%s: got %d %s", query, rec.Code, rec.Body)
	}
	return rec.Body.String()
}

// overviewCounts reads the row count of every table of the overview's HTML.
func overviewCounts(t *testing.T, page string) map[string]int64 {
	t.Helper()
	re := regexp.MustCompile(`(?s)<tr data-table="([a-z_]+)"[^>]*>\s*<td>.*?</td>\s*<td class="num" data-rows="(\d+)" data-count="exact">`)
	out := map[string]int64{}
	for _, m := range re.FindAllStringSubmatch(page, -1) {
		n, _ := strconv.ParseInt(m[2], 10, 64)
		out[m[1]] = n
	}
	return out
}

// columnValues returns the texts of one column of a page.
func columnValues(t *testing.T, p *browse.TablePage, name string) []string {
	t.Helper()
	i := slices.IndexFunc(p.Columns, func(c browse.Column) bool { return c.Name == name })
	if i < 0 {
		t.Fatalf("%s has no column %s", p.Name, name)
	}
	var out []string
	for _, row := range p.Rows {
		out = append(out, row[i].Text)
	}
	return out
}

// headerOf returns the <th> of a column in a page's rows table.
func headerOf(t *testing.T, page, column string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<th data-column="` + column + `"[^>]*>.*?</th>`).FindString(page)
	if m == "" {
		t.Fatalf("no header for %s", column)
	}
	return m
}

func TestBrowseShowsWhatStagingHolds(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{allowImport: true, work: true, fixture: true})
	addParents(t, e, 30)
	b := e.browser()
	b.login(adminEmail)
	auditID, st := importOwnExport(t, b, nil)
	result, _ := st["result"].(map[string]any)

	// The overview: every app table, counted, and none of the local ones.
	page := getBrowsePage(t, b, "")
	for _, want := range []string{`<section id="browse">`, `href="/admin/data"`, "import #" + strconv.FormatInt(auditID, 10),
		fmt.Sprint(result["source_host"])} {
		if !strings.Contains(page, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	cat, err := schema.LoadCatalog(context.Background(), e.pool)
	if err != nil {
		t.Fatal(err)
	}
	got := overviewCounts(t, page)
	for _, tbl := range cat.Tables {
		want := e.count(`SELECT count(*) FROM ` + pgx.Identifier{tbl.Name}.Sanitize())
		if n, ok := got[tbl.Name]; !ok || n != int64(want) {
			t.Errorf("%s: got %d rows (listed %v), want %d", tbl.Name, n, ok, want)
		}
	}
	if len(got) != len(cat.Tables) {
		t.Errorf("overview lists %d tables, want %d: %v", len(got), len(cat.Tables), got)
	}
	for _, local := range []string{"web_sessions", "import_export_audits", "schema_migrations", "river_job"} {
		if strings.Contains(page, `data-table="`+local+`"`) {
			t.Errorf("overview lists the local table %s", local)
		}
	}

	// The first page of users: 20 rows by id, staging emails, email marked.
	users := getBrowse(t, b, "?table=users")
	if users.Import == nil || users.Import.AuditID != auditID {
		t.Errorf("import: got %+v, want audit %d", users.Import, auditID)
	}
	p1 := users.Table
	if p1 == nil || len(p1.Rows) != 20 || p1.Next != 2 || p1.Prev != 0 {
		t.Fatalf("users page 1: got %+v", p1)
	}
	kept := fmt.Sprint(result["kept_accounts"])
	ids1 := columnValues(t, p1, "id")
	for i, email := range columnValues(t, p1, "email") {
		if email != "user-"+ids1[i]+"@staging.local" && !strings.Contains(kept, email) {
			t.Errorf("user %s: email %q is neither a staging email nor a kept admin's (%s)", ids1[i], email, kept)
		}
	}
	html1 := getBrowsePage(t, b, "?table=users")
	if !strings.Contains(html1, `<table class="grid rows" id="browse-rows" data-table="users">`) {
		t.Error("no rows table for users")
	}
	if th := headerOf(t, html1, "email"); !strings.Contains(th, `data-anonymizer="emails"`) || !strings.Contains(th, "emails · staging_email") ||
		!strings.Contains(th, `class="personal"`) {
		t.Errorf("email header: %s", th)
	}
	if th := headerOf(t, html1, "role"); !strings.Contains(th, `data-anonymizer=""`) || strings.Contains(th, "personal") {
		t.Errorf("role header: %s", th)
	}
	if th := headerOf(t, html1, "preferences"); !strings.Contains(th, "scrubbed free text") {
		t.Errorf("preferences header: %s", th)
	}
	if n := strings.Count(html1, `<td class="personal">user-`); n < 19 {
		t.Errorf("personal email cells: got %d, want at least 19", n)
	}
	if strings.Contains(html1, "unscrubbed") {
		t.Error("a default import shows columns loaded unscrubbed")
	}

	// Page 2: the next rows, after the first page's.
	p2 := getBrowse(t, b, "?table=users&page=2").Table
	total := e.count(`SELECT count(*) FROM users`)
	if p2 == nil || len(p2.Rows) != total-20 || p2.Prev != 1 || p2.Next != 0 {
		t.Fatalf("users page 2: got %d rows prev %d next %d, want %d rows prev 1", len(p2.Rows), p2.Prev, p2.Next, total-20)
	}
	last, _ := strconv.Atoi(ids1[19])
	if first, _ := strconv.Atoi(columnValues(t, p2, "id")[0]); first <= last {
		t.Errorf("page 2 starts at id %d, page 1 ended at %d", first, last)
	}
	html2 := getBrowsePage(t, b, "?table=users&page=2")
	if !strings.Contains(html2, `href="/admin/data/browse?table=users&amp;page=1"`) || strings.Contains(html2, `id="browse-next"`) {
		t.Error("page 2 links: want previous to page 1 and no next")
	}

	// No production email on any page of any table, and no password hash.
	rows, err := e.pool.Query(context.Background(), `SELECT DISTINCT password_hash FROM users`)
	if err != nil {
		t.Fatal(err)
	}
	hashes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	for _, tbl := range cat.Tables {
		for _, q := range []string{"?table=" + tbl.Name, "?table=" + tbl.Name + "&page=2"} {
			body := getBrowsePage(t, b, q)
			for _, email := range productionEmails {
				if strings.Contains(strings.ToLower(body), strings.ToLower(email)) {
					t.Errorf("%s shows the production email %s", q, email)
				}
			}
			if strings.Contains(body, "Päßler") {
				t.Errorf("%s shows a production last name", q)
			}
			for _, h := range hashes {
				if strings.Contains(body, h) {
					t.Errorf("%s shows a whole password hash", q)
				}
			}
		}
	}

	// Bytea is shown as its size and type, never as bytes.
	att := getBrowse(t, b, "?table=attachments").Table
	for _, row := range att.Rows {
		if v := row[slices.IndexFunc(att.Columns, func(c browse.Column) bool { return c.Name == "data" })]; !v.Binary || v.Text != "" || v.MIME != "image/png" {
			t.Errorf("attachment data: got %+v, want the placeholder PNG's size", v)
		}
	}
	if html := getBrowsePage(t, b, "?table=attachments"); !strings.Contains(html, `<span class="binary">`+fmt.Sprintf("%d B", len(anonymizer.PlaceholderPNG))+` image/png</span>`) {
		t.Error("attachments page does not show the placeholder's size and type")
	}
}

func TestBrowseWorksBeforeAnyImport(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{fixture: true})
	b := e.browser()
	b.login(adminEmail)
	page := getBrowsePage(t, b, "?table=users")
	if !strings.Contains(page, "never imported") {
		t.Error("page does not say the instance never imported")
	}
	if got, want := overviewCounts(t, page)["users"], int64(e.count(`SELECT count(*) FROM users`)); got != want {
		t.Errorf("users: got %d, want %d", got, want)
	}
	if !strings.Contains(page, "paula.parent@example.org") {
		t.Error("the instance's own data is not shown")
	}
	if v := getBrowse(t, b, ""); v.Import != nil || v.Table != nil || len(v.Tables) == 0 {
		t.Errorf("JSON: got import %+v, table %+v, %d tables", v.Import, v.Table, len(v.Tables))
	}
}

func TestBrowseIsForAdminsOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{fixture: true})
	anon := e.browser()
	teacher := e.browser()
	teacher.login(teacherEmail)
	admin := e.browser()
	admin.login(adminEmail)
	for _, path := range []string{"/admin/data/browse", "/admin/data/browse?table=users"} {
		if rec := anon.get(path, false); rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/login") {
			t.Errorf("anonymous %s: got %d %q, want 303 to /login", path, rec.Code, rec.Header().Get("Location"))
		}
		if rec := anon.get(path, true); rec.Code != http.StatusUnauthorized {
			t.Errorf("anonymous API %s: got %d, want 401", path, rec.Code)
		}
		for _, asJSON := range []bool{false, true} {
			rec := teacher.get(path, asJSON)
			if rec.Code != http.StatusForbidden || strings.Contains(rec.Body.String(), "@example.org") {
				t.Errorf("teacher %s (JSON %v): got %d, want 403 without data", path, asJSON, rec.Code)
			}
		}
	}
	rec := admin.postForm("/admin/data/browse", url.Values{"csrf_token": {admin.csrf}}, true)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: got %d, want 405", rec.Code)
	}
}

func TestBrowseMarksUnscrubbedColumns(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{allowImport: true, work: true, fixture: true})
	b := e.browser()
	b.login(adminEmail)
	importOwnExport(t, b, func(f importForm) importForm {
		return f.set("anonymize_names", "\x00").set("risk_ack", anonymizer.RiskAck)
	})
	page := getBrowsePage(t, b, "?table=users")
	for _, col := range []string{"first_name", "last_name"} {
		th := headerOf(t, page, col)
		if !strings.Contains(th, `class="personal unscrubbed"`) || !strings.Contains(th, "loaded unscrubbed · names switched off") {
			t.Errorf("%s header: %s", col, th)
		}
	}
	if th := headerOf(t, page, "email"); strings.Contains(th, "unscrubbed") {
		t.Errorf("email header: %s", th)
	}
	// Kept free text keeps the dump's names too when names is off.
	if th := headerOf(t, page, "preferences"); !strings.Contains(th, "partly-unscrubbed") || !strings.Contains(th, "names not replaced") {
		t.Errorf("preferences header: %s", th)
	}
	if n := strings.Count(page, `<td class="personal unscrubbed">`); n != 2*e.count(`SELECT count(*) FROM users`) {
		t.Errorf("unscrubbed cells: got %d, want two per user", n)
	}
	if !strings.Contains(page, "<strong>names</strong>") {
		t.Error("the skipped anonymizer is not named")
	}
	v := getBrowse(t, b, "?table=students")
	i := slices.IndexFunc(v.Tables, func(s browse.TableSummary) bool { return s.Name == "students" })
	if got, want := v.Tables[i].Unscrubbed, []string{"first_name", "last_name"}; !slices.Equal(got, want) {
		t.Errorf("students' unscrubbed columns: got %v, want %v", got, want)
	}
	if !slices.Equal(v.Import.AnonymizersSkipped, []string{"names"}) {
		t.Errorf("skipped: got %v", v.Import.AnonymizersSkipped)
	}
}

func TestBrowseIsBounded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{fixture: true})
	b := e.browser()
	b.login(adminEmail)
	pageMessage := fmt.Sprintf("The page must be a whole number from 1 to %d.", browse.DefaultMaxPage)
	tests := []struct {
		name, query string
		status      int
		want        string
	}{
		{"unknown table", "?table=no_such_table", http.StatusNotFound, `There is no app table "no_such_table" on this instance.`},
		{"local table", "?table=web_sessions", http.StatusNotFound, `There is no app table "web_sessions" on this instance.`},
		{"audit table", "?table=import_export_audits", http.StatusNotFound, `There is no app table "import_export_audits" on this instance.`},
		{"River's table", "?table=river_job", http.StatusNotFound, `There is no app table "river_job" on this instance.`},
		{"injection", "?table=" + url.QueryEscape(`users"; DROP TABLE users; --`), http.StatusNotFound, "There is no app table of that name on this instance."},
		{"page zero", "?table=users&page=0", http.StatusBadRequest, pageMessage},
		{"negative page", "?table=users&page=-3", http.StatusBadRequest, pageMessage},
		{"junk page", "?table=users&page=abc", http.StatusBadRequest, pageMessage},
		{"huge page", "?table=users&page=99999999999999999999", http.StatusBadRequest, pageMessage},
		{"page past the limit", "?table=users&page=" + strconv.Itoa(browse.DefaultMaxPage+1), http.StatusBadRequest, pageMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := b.get("/admin/data/browse"+tt.query, true)
			if rec.Code != tt.status || jsonError(t, rec) != tt.want {
				t.Errorf("JSON: got %d %s, want %d %q", rec.Code, rec.Body, tt.status, tt.want)
			}
			rec = b.get("/admin/data/browse"+tt.query, false)
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), strings.ReplaceAll(tt.want, `"`, "&#34;")) {
				t.Errorf("page: got %d, want %d with %q", rec.Code, tt.status, tt.want)
			}
		})
	}
	if n := e.count(`SELECT count(*) FROM users`); n == 0 {
		t.Fatal("users is gone")
	}

	t.Run("page past the end", func(t *testing.T) {
		v := getBrowse(t, b, "?table=users&page="+strconv.Itoa(browse.DefaultMaxPage))
		if len(v.Table.Rows) != 0 || v.Table.Next != 0 || v.Table.Prev != 1 {
			t.Errorf("got %d rows, prev %d, next %d; want none, back to page 1", len(v.Table.Rows), v.Table.Prev, v.Table.Next)
		}
		if page := getBrowsePage(t, b, "?table=users&page=7"); !strings.Contains(page, "No rows on page 7.") {
			t.Error("the page does not say it is empty")
		}
	})

	t.Run("while an import holds the tables", func(t *testing.T) {
		e.holdLikeAnImport(t, "users")
		done := make(chan *httptest.ResponseRecorder, 1)
		go func() { done <- b.get("/admin/data/browse", true) }()
		select {
		case rec := <-done:
			if rec.Code != http.StatusConflict || jsonError(t, rec) != browse.ErrBusy.Message {
				t.Errorf("got %d %s, want 409 busy", rec.Code, rec.Body)
			}
		case <-time.After(browse.DefaultLockTimeout + 5*time.Second):
			t.Fatal("the page waited for the import's lock")
		}
	})
}
