package web_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/wippidu/wippidu/anonymizer"
)

// TestOptOutResultPanelListsWhatStaysPersonal imports with the names anonymizer
// switched off (risk acknowledged): the result panel names the switch in bold,
// lists the columns loaded unscrubbed, and shows the leak check.
func TestOptOutResultPanelListsWhatStaysPersonal(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{allowImport: true, work: true, fixture: true})
	b := e.browser()
	b.login(adminEmail)
	auditID, _ := importOwnExport(t, b, func(f importForm) importForm {
		return f.set("anonymize_names", "\x00").set("risk_ack", anonymizer.RiskAck)
	})
	page := b.get("/admin/data?job="+strconv.FormatInt(auditID, 10), false).Body.String()
	for _, want := range []string{"<strong>names</strong>", "<strong>users.first_name</strong> (names switched off)",
		"<strong>students.last_name</strong> (names switched off)", `id="leak-check"`} {
		if !strings.Contains(page, want) {
			t.Errorf("result panel lacks %q", want)
		}
	}
}
