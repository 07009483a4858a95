package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/wippidu/wippidu/internal/testdb"
)

// findChromium returns the machine's Chromium. Without one the browser test is
// skipped, except on CI (CI=true), where it must run.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium binary found, and CI=true requires the browser test (apt-get install chromium)")
	}
	t.Skip("no Chromium binary found (apt-get install chromium); skipping the browser test")
	return ""
}

// TestBrowserRefreshStagingFromProduction walks the seed's workflow in a real
// browser against two in-process instances: export on production, import into
// staging with the defaults, the result panel, the banner, and a login as a
// former production user with the staging password.
func TestBrowserRefreshStagingFromProduction(t *testing.T) {
	t.Parallel()
	chromium := findChromium(t)
	// The two instances answer at the names the demo and the README use; Chromium
	// resolves every *.localhost name to this machine by itself.
	prod := newEnv(t, envOpts{work: true, fixture: true, hostname: "app.localhost", plainHTTP: true})
	testdb.BulkMessages(t, prod.pool, 4000)
	staging := newEnv(t, envOpts{work: true, allowImport: true, hostname: "staging.localhost", plainHTTP: true})
	testdb.SlowInserts(t, staging.pool, "messages") // long enough to see progress
	prodSrv := httptest.NewServer(prod.handler)
	t.Cleanup(prodSrv.Close)
	stagingSrv := httptest.NewServer(staging.handler)
	t.Cleanup(stagingSrv.Close)
	// Different host names keep the two instances' cookies apart.
	prodURL := strings.Replace(prodSrv.URL, "127.0.0.1", "app.localhost", 1)
	stagingURL := strings.Replace(stagingSrv.URL, "127.0.0.1", "staging.localhost", 1)

	tab := newTab(t, chromium, 3*time.Minute)
	ctx, run, text := tab.ctx, tab.run, tab.text
	shot := func(name string) {
		t.Helper()
		if os.Getenv("WIPPIDU_SCREENSHOTS") != "1" {
			return
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join("..", "docs", "screenshots", name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	login := func(base, email, password string) {
		t.Helper()
		run("log in as "+email,
			chromedp.Navigate(base+"/login"),
			chromedp.SendKeys(chromedp.CSS(`input[name=email]`), email),
			chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password),
			chromedp.Click(chromedp.CSS(`button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("logout")))
	}

	// Step 1: export from production through the gear menu.
	downloads := t.TempDir()
	login(prodURL, adminEmail, testPassword)
	run("open Import/Export",
		chromedp.Click(chromedp.CSS(".gear summary")),
		chromedp.Click(chromedp.ID("menu-import-export")),
		chromedp.WaitVisible(chromedp.ID("export-button")),
		func(ctx context.Context, _ *chromedp.Target) (chromedp.Void, error) {
			_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
				Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads})
			return chromedp.Void{}, err
		})
	if strings.Contains(text("main"), "Start import") {
		t.Error("production shows an import section")
	}
	run("download export", chromedp.Click(chromedp.ID("export-button")), chromedp.WaitVisible(chromedp.ID("job")))
	file := waitDownload(t, downloads)
	// The history follows the export live: its row ends as succeeded without a reload.
	exportNo := jobNumber(t, ctx)
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(document.querySelector("#audit-`+exportNo+` .pill") || {}).textContent === "succeeded"`,
		chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		t.Errorf("history row of export #%s did not turn succeeded by itself: %v", exportNo, err)
	}
	if got := text("#job-title"); got != "Export #"+exportNo {
		t.Errorf("progress box of export #%s is titled %q", exportNo, got)
	}

	// Step 2: import into staging with the defaults. A teacher is logged in on
	// staging meanwhile; the refresh ends that session.
	teacher := staging.browser()
	teacher.login(teacherEmail)
	// Every page runs under the Content-Security-Policy; violations are collected.
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.__csp = []; document.addEventListener("securitypolicyviolation", e => window.__csp.push(e.violatedDirective + " " + e.blockedURI));`}); err != nil {
		t.Fatal(err)
	}
	login(stagingURL, adminEmail, testPassword)
	run("open staging Import/Export", chromedp.Navigate(stagingURL+"/admin/data"), chromedp.WaitVisible(chromedp.ID("import-button")))
	shot("import-export-before")
	if got := text("#expected-host"); got != "staging.localhost" {
		t.Errorf("expected host on the form: %q, want staging.localhost", got)
	}
	dialogs := make(chan string, 4)
	go acceptDialogs(ctx, dialogs)
	// A preview first: it asks nothing (it changes nothing), and its result shows
	// the first rows as the import would leave them.
	run("preview import",
		chromedp.SendKeys(chromedp.CSS(`input[name=confirm_host]`), "staging.localhost"),
		chromedp.SetUploadFiles(chromedp.CSS(`input[name=dump]`), []string{file}),
		chromedp.Click(chromedp.ID("preview-button")),
		chromedp.WaitVisible(chromedp.ID("job")),
		chromedp.WaitVisible(chromedp.ID("preview-sample")))
	if got := text("#job-title"); !strings.HasPrefix(got, "Preview of an import #") {
		t.Errorf("progress box of a preview is titled %q", got)
	}
	if got := text("#preview-notice"); !strings.Contains(got, "nothing was changed") {
		t.Errorf("preview notice: %q", got)
	}
	if got := text(`#preview-sample .preview-table[data-table=users]`); strings.Contains(got, "admin@wippidu.example") || !strings.Contains(got, "@") {
		t.Errorf("the preview's users: %q", got)
	}
	shot("import-preview")
	select {
	case msg := <-dialogs:
		t.Errorf("a preview asked for confirmation: %q", msg)
	default:
	}
	run("back to the import form", chromedp.Navigate(stagingURL+"/admin/data"), chromedp.WaitVisible(chromedp.ID("import-button")))
	// The name is compared without regard to case; the dialog names the instance
	// as it is, not as it was typed.
	run("start import",
		chromedp.SendKeys(chromedp.CSS(`input[name=confirm_host]`), "Staging.LOCALHOST"),
		chromedp.SetUploadFiles(chromedp.CSS(`input[name=dump]`), []string{file}),
		chromedp.Click(chromedp.ID("import-button")),
		chromedp.WaitVisible(chromedp.ID("job")))
	// Best effort: wait until rows are counted, so the screenshot shows progress.
	_, _ = chromedp.Run(ctx, chromedp.Poll[bool](`(document.getElementById("job-rows") || {}).textContent !== "0"`,
		chromedp.WithPollingTimeout(5*time.Second)))
	shot("import-progress")
	select {
	case msg := <-dialogs:
		if !strings.Contains(msg, "ALL data on staging.localhost ") {
			t.Errorf("confirm dialog: %q, want it to name staging.localhost", msg)
		}
	case <-time.After(10 * time.Second):
		t.Error("no confirm dialog before the import")
	}
	importNo := jobNumber(t, ctx)
	if got := text("#job-title"); got != "Import #"+importNo {
		t.Errorf("progress box of import #%s is titled %q", importNo, got)
	}

	// Step 3: the result panel, then the banner on the home page. The progress
	// box, the history and the result name the job and its figures alike.
	run("result panel", chromedp.WaitVisible(chromedp.ID("import-result")))
	shot("import-result")
	if got := text("#audit-" + importNo + " td"); !strings.HasPrefix(got, "#"+importNo+" River job ") {
		t.Errorf("history names import #%s as %q", importNo, got)
	}
	if box, panel := text("#job-rows"), text("#result-rows"); box != panel || !strings.Contains(box, ",") {
		t.Errorf("rows: progress box %q, result panel %q; want the same figure with separators", box, panel)
	}
	if got := text("#job-phase"); got != "Done" {
		t.Errorf("phase at the end: %q", got)
	}
	result := text("#import-result")
	for _, want := range []string{"app.localhost", "staging123", "messages", "emails", "birth_dates"} {
		if !strings.Contains(result, want) {
			t.Errorf("result panel lacks %q: %s", want, result)
		}
	}
	if !regexp.MustCompile(`Leak check\s+0 production values found in \d+ columns, [\d,]+ values checked`).MatchString(result) {
		t.Errorf("result panel lacks the leak check: %s", result)
	}
	// What the allow-list did: in the fixture's few rows nothing is common, and
	// every word of the kept text was replaced.
	if !regexp.MustCompile(`(?s)Replaced in kept text\s.*messages\.subject: [\d,]+ rare_word`).MatchString(result) ||
		!regexp.MustCompile(`Allow-list\s+[\d,]+ words and numbers of kept text are common \(each written by at least 5 people, counted by the export\)`).MatchString(result) {
		t.Errorf("result panel lacks what the allow-list replaced: %s", result)
	}
	// From the result panel to the data staging now holds.
	run("data page link", chromedp.Click(chromedp.ID("browse-link")), chromedp.WaitVisible(chromedp.ID("browse-tables")))
	checkBrowsePage(t, ctx, stagingURL, shot)
	run("home banner", chromedp.Navigate(stagingURL+"/"), chromedp.WaitVisible(chromedp.CSS(".staging-banner")))
	if rec := teacher.get("/", false); rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/login") {
		t.Errorf("a session opened before the refresh: got %d to %q, want the login page", rec.Code, rec.Header().Get("Location"))
	}

	// The River UI works under its policy: it renders, and nothing was blocked but
	// its library's eval feature probe (try { Function("") } catch {}), which
	// fails harmlessly.
	run("River UI", chromedp.Navigate(stagingURL+"/admin/river/"))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.body.innerText.includes("Jobs")`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Errorf("the River UI did not render: %v", err)
	}
	violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(window.__csp || []).filter(v => v !== "script-src eval")`))
	if err != nil {
		t.Fatal(err)
	}
	if len(violations) > 0 {
		t.Errorf("Content-Security-Policy violations: %v", violations)
	}

	// Staging's own admin logs in again with their own password.
	run("log out admin", chromedp.Navigate(stagingURL+"/"), chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.CSS(`input[name=email]`)))
	login(stagingURL, adminEmail, testPassword)

	// Log out, and log in as a former production user with the staging password.
	run("log out", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.CSS(`input[name=email]`)))
	login(stagingURL, "user-3@staging.local", "staging123")
	if got := text("main h1"); !strings.Contains(got, "user-3@staging.local") {
		t.Errorf("home after login: %q", got)
	}
}

// tab is a headless Chromium page for one test.
type tab struct {
	t   *testing.T
	ctx context.Context
}

// newTab starts the machine's Chromium for t; it stops when t ends, or after
// timeout.
func newTab(t *testing.T, chromium string, timeout time.Duration) *tab {
	t.Helper()
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true), chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(1280, 1000))
	ctx, cancelBrowser := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() { cancelTimeout(); cancelBrowser(); cancelAlloc() })
	return &tab{t: t, ctx: ctx}
}

// run does a step's actions, failing the test with the step's name.
func (b *tab) run(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", step, err)
	}
}

// text is the text of the element sel selects.
func (b *tab) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// jobNumber is the job number in the page's address (/admin/data?job=N).
func jobNumber(t *testing.T, ctx context.Context) string {
	t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(loc)
	if err != nil || u.Query().Get("job") == "" {
		t.Fatalf("the page's address names no job: %q", loc)
	}
	return u.Query().Get("job")
}

// acceptDialogs accepts the import's confirm() dialog and passes on its text.
func acceptDialogs(ctx context.Context, messages chan<- string) {
	for ev, err := range chromedp.Events(ctx, page.JavascriptDialogOpening) {
		if err != nil {
			return
		}
		select {
		case messages <- ev.Message:
		default:
		}
		go func() {
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}()
	}
}

// waitDownload waits for the export file to be complete in dir.
func waitDownload(t *testing.T, dir string) string {
	t.Helper()
	name := regexp.MustCompile(`^wippidu-export-\d{8}-\d{6}\.json\.gz$`)
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if name.MatchString(e.Name()) {
				return filepath.Join(dir, e.Name())
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	entries, _ := os.ReadDir(dir)
	t.Fatalf("no export downloaded; folder holds %v", fmt.Sprint(entries))
	return ""
}
