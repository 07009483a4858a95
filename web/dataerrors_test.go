package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/internal/testdb"
	"github.com/wippidu/wippidu/internal/webclient"
)

// TestRejectedDataLeavesNoValueAnywhere imports dumps that break a CHECK, a NOT
// NULL, a foreign key and a primary key, each around marked values, and looks for
// those values wherever a failure is written down: the audit row's
// error_message, River's job errors, the logs, the status JSON and the page.
// PostgreSQL quotes them in its messages, details ("Failing row contains …",
// "Key (…)=(…)") and contexts; none may survive.
func TestRejectedDataLeavesNoValueAnywhere(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	l := startLive(t, logger)
	l.work(logger)
	testdb.Fixture(t, l.pool)
	l.addAdmin(adminEmail)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := l.login(adminEmail)
	exp, err := c.Export(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := c.Wait(ctx, exp.AuditID); err != nil || !st.Succeeded {
		t.Fatalf("export: %+v %v", st, err)
	}
	var good bytes.Buffer
	if _, err := c.Download(ctx, exp.AuditID, &good); err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(&good)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	// The users row of Paula (id 3) keeps a marked locale next to the broken value.
	const paula = `"parent","en"`
	for _, tc := range []struct {
		name, old, new string
		values         []string // must appear nowhere
		want           string   // what the message must name instead
	}{
		{"check", paula, `"no-such-role","LOCALE-MARK-4711"`, []string{"no-such-role", "LOCALE-MARK-4711"}, `constraint "users_role_check"`},
		{"not null", paula, `null,"LOCALE-MARK-4711"`, []string{"LOCALE-MARK-4711"}, `column "role"`},
		{"foreign key", `,3,1,"mother"`, `,3,987654321,"mother"`, []string{"987654321", "mother"}, `key (student_id) is not present in table "students"`},
		{"duplicate key", `[5,"2024-05-06`, `[3,"2024-05-06`, []string{"(3)", "Brien"}, `key (id) already exists`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !bytes.Contains(doc, []byte(tc.old)) {
				t.Fatalf("the export lacks %s", tc.old)
			}
			bad := testdb.Gzip(t, strings.Replace(string(doc), tc.old, tc.new, 1))
			sub, err := c.Import(ctx, webclient.ImportForm{ConfirmHost: stagingHost}, bytes.NewReader(bad))
			if err != nil {
				t.Fatal(err)
			}
			st, err := c.Wait(ctx, sub.AuditID)
			if err != nil || st.Succeeded {
				t.Fatalf("import of a broken dump: %+v %v", st, err)
			}
			rec, err := audit.Get(ctx, l.pool, sub.AuditID)
			if err != nil || rec.ErrorMessage == nil {
				t.Fatalf("audit: %+v %v", rec, err)
			}
			var jobErrors string
			if err := l.pool.QueryRow(ctx, "SELECT errors::text FROM river_job WHERE id = $1", sub.JobID).Scan(&jobErrors); err != nil {
				t.Fatal(err)
			}
			page, err := c.Page(ctx, "/admin/data")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(*rec.ErrorMessage, tc.want) {
				t.Errorf("error_message %q does not name %s", *rec.ErrorMessage, tc.want)
			}
			for where, text := range map[string]string{"error_message": *rec.ErrorMessage, "river_job.errors": jobErrors,
				"logs": logs.String(), "status JSON": st.Error, "page": page} {
				for _, v := range tc.values {
					if strings.Contains(text, v) {
						t.Errorf("%s holds the dump's value %q", where, v)
					}
				}
				if strings.Contains(text, "Failing row contains") || strings.Contains(text, ")=(") {
					t.Errorf("%s holds PostgreSQL's row or key detail", where)
				}
			}
		})
	}
}
