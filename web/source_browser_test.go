package web_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wippidu/wippidu/dump"
	"github.com/wippidu/wippidu/storage/file"
)

// TestBrowserImportFromProductionStorage: in a real browser, staging's Import
// section lists the export in production's storage with its file name and host;
// choosing it, confirming the host and the dialog starts an import whose job
// page says it reads production's storage.
func TestBrowserImportFromProductionStorage(t *testing.T) {
	t.Parallel()
	chromium := findChromium(t)
	src, err := file.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// Named as production names it, after the time in its header.
	exported := productionDump(t)
	r, err := dump.NewReader(bytes.NewReader(exported), dump.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	name := dump.FileName(r.Header().ExportedAt)
	r.Close()
	key := "exports/3/" + name
	if _, err := src.Put(context.Background(), key, bytes.NewReader(exported)); err != nil {
		t.Fatal(err)
	}
	staging := newEnv(t, envOpts{work: true, allowImport: true, hostname: "staging.localhost", plainHTTP: true, source: src})
	srv := httptest.NewServer(staging.handler)
	t.Cleanup(srv.Close)
	base := strings.Replace(srv.URL, "127.0.0.1", "staging.localhost", 1)

	tab := newTab(t, chromium, 2*time.Minute)
	ctx, run, text := tab.ctx, tab.run, tab.text

	run("log in",
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), adminEmail),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), testPassword),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("logout")))
	run("open Import/Export", chromedp.Navigate(base+"/admin/data"), chromedp.WaitVisible(chromedp.ID("import-source-button")))
	row := text(`#source-exports tr[data-key="` + key + `"]`)
	for _, want := range []string{name, "app.wippidu.net", "KiB", "yes"} {
		if !strings.Contains(row, want) {
			t.Errorf("the export's row lacks %q: %q", want, row)
		}
	}
	if os.Getenv("WIPPIDU_SCREENSHOTS") == "1" {
		png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.ID("import-source")))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("..", "docs", "screenshots", "import-from-source.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	dialogs := make(chan string, 4)
	go acceptDialogs(ctx, dialogs)
	run("import from production storage",
		chromedp.SendKeys(chromedp.CSS(`#import-source-form input[name=confirm_host]`), "staging.localhost"),
		chromedp.Click(chromedp.ID("import-source-button")),
		chromedp.WaitVisible(chromedp.ID("job")))
	select {
	case msg := <-dialogs:
		if !strings.Contains(msg, "ALL data on staging.localhost with "+name+" from production storage") {
			t.Errorf("confirm dialog: %q", msg)
		}
	case <-time.After(10 * time.Second):
		t.Error("no confirm dialog before the import")
	}
	if got := text("#job-source"); got != name+", read straight from production storage" {
		t.Errorf("job page: %q", got)
	}
	run("result panel", chromedp.WaitVisible(chromedp.ID("result-source")))
	if got := text("#import-result"); !strings.Contains(got, "app.wippidu.net") {
		t.Errorf("result panel: %q", got)
	}
}
