package web_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// checkBrowsePage checks the data browser in a real browser logged in as an admin
// of staging after an import with the defaults: the overview counts users and
// messages, users' rows show the email column marked "emails" with staging
// emails in it, and nothing on the way broke the Content-Security-Policy. shot
// takes the screenshot "data-browse" of users' rows.
func checkBrowsePage(t *testing.T, ctx context.Context, base string, shot func(string)) {
	t.Helper()
	// The caller may collect violations in window.__csp (browser_test.go).
	checkCSP := func(view string) {
		t.Helper()
		violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__csp || []`))
		if err != nil {
			t.Fatalf("read CSP violations: %v", err)
		}
		if len(violations) > 0 {
			t.Errorf("Content-Security-Policy violations on the %s: %v", view, violations)
		}
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/admin/data/browse"),
		chromedp.WaitVisible(chromedp.ID("browse-tables"))); err != nil {
		t.Fatalf("open the data browser: %v", err)
	}
	checkCSP("overview")
	counts, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`Object.fromEntries(
		[...document.querySelectorAll("#browse-tables tr[data-table]")].map(tr => [tr.dataset.table, tr.querySelector("td.num").textContent.trim()]))`))
	if err != nil {
		t.Fatalf("read the overview: %v", err)
	}
	count := regexp.MustCompile(`^(about |more than )?[1-9][\d,]*$`)
	for _, table := range []string{"users", "messages"} {
		if !count.MatchString(counts[table]) {
			t.Errorf("overview: %s counts %q, want rows (all: %v)", table, counts[table], counts)
		}
	}

	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#browse-tables tr[data-table="users"] a`)),
		chromedp.WaitVisible(chromedp.CSS(`#browse-rows[data-table="users"]`))); err != nil {
		t.Fatalf("open users' rows: %v", err)
	}
	header, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#browse-rows th[data-column="email"]`)))
	if err != nil {
		t.Fatalf("read the email header: %v", err)
	}
	if !strings.Contains(header, "emails") {
		t.Errorf("email header: got %q, want the anonymizer emails", header)
	}
	emails, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
		const i = [...document.querySelectorAll("#browse-rows thead th")].findIndex(th => th.dataset.column === "email");
		return [...document.querySelectorAll("#browse-rows tbody tr")].map(tr => tr.children[i].textContent);
	})()`))
	if err != nil {
		t.Fatalf("read the email column: %v", err)
	}
	if !strings.Contains(strings.Join(emails, " "), "@staging.local") {
		t.Errorf("email column: got %v, want staging emails", emails)
	}
	checkCSP("rows of users")
	shot("data-browse")
}
