package transfer_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/demodata"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/transfer"
)

// TestDemoDataStaysReadable imports the demo data of a school of 800 users with
// every anonymizer on: its attachment file names all reach staging unchanged
// (their words are common, their numbers short, their dates ordinary), and its
// subjects and titles still read like a school's: only names are replaced in them.
// The test logs ten of each before and after.
func TestDemoDataStaysReadable(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("generates 800 users")
	}
	ctx := context.Background()
	src := pgtest.NewPool(t, pgtest.NewDB(t))
	if _, err := demodata.Generate(ctx, src, demodata.Config{Users: 800, AttachmentKB: 1}, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	dst := pgtest.NewPool(t, pgtest.NewDB(t))
	res, err := importDump(t, dst, export(t, src, false), anon(t))
	if err != nil {
		t.Fatal(err)
	}
	if res.AllowList == nil || res.AllowList.CountedBy != wippidu.CountedByExport || res.AllowList.CommonTokens < 200 {
		t.Errorf("allow-list: %+v, want the export's census of a few hundred common words", res.AllowList)
	}
	const files = "SELECT filename FROM attachments ORDER BY id"
	before, after := queryStrings(t, src, files), queryStrings(t, dst, files)
	if len(before) < 500 || !slices.Equal(before, after) {
		changed := 0
		for i := range before {
			if i < len(after) && before[i] != after[i] {
				if changed++; changed <= 10 {
					t.Errorf("attachment file name %q became %q", before[i], after[i])
				}
			}
		}
		t.Errorf("%d of %d attachment file names changed, want none", changed, len(before))
	}
	for _, q := range []string{"SELECT subject FROM messages ORDER BY id", "SELECT title FROM parental_letters ORDER BY id"} {
		before, after := queryStrings(t, src, q), queryStrings(t, dst, q)
		same := 0
		for i := range before {
			if before[i] == after[i] {
				same++
			} else if !strings.HasPrefix(before[i], "Krankmeldung ") {
				t.Errorf("%q became %q: only sick notes name someone", before[i], after[i])
			}
		}
		for i := 0; i < len(before); i += len(before) / 10 {
			t.Logf("%-45q → %q", before[i], after[i])
		}
		t.Logf("%s: %d of %d unchanged", q, same, len(before))
	}
}

// TestAllowListWithoutTheExportsCensus imports a dump without its table of common
// tokens (an export of an older release): the import counts them in a pass of its
// own over the whole dump and rebuilds the text the same way.
func TestAllowListWithoutTheExportsCensus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := pgtest.NewPool(t, pgtest.NewDB(t))
	seed(t, src)
	// Five people write about the parents' evening; one writes a word of her own.
	if _, err := src.Exec(ctx, `INSERT INTO messages (sender_id, recipient_id, subject, body)
		SELECT u, 2, 'Elternabend am Dienstag', '' FROM generate_series(1, 5) u UNION ALL
		SELECT 3, 2, 'Elternabend Kruemelmonster', ''`); err != nil {
		t.Fatal(err)
	}
	file := export(t, src, true)
	s := string(gunzip(t, file))
	start, end := strings.Index(s, `{"name":"`+transfer.CommonTokensTable+`"`), strings.Index(s, `{"name":"users"`)
	if start < 0 || end < start {
		t.Fatalf("the export does not begin with its common tokens: %.300s", s)
	}
	older := rewrite(t, file, s[start:end], "")
	for _, tc := range []struct {
		file []byte
		by   wippidu.CountedBy
	}{{file, wippidu.CountedByExport}, {older, wippidu.CountedByImport}} {
		t.Run(string(tc.by), func(t *testing.T) {
			dst := pgtest.NewPool(t, pgtest.NewDB(t))
			res, err := importDump(t, dst, tc.file, anon(t))
			if err != nil {
				t.Fatal(err)
			}
			if res.AllowList == nil || res.AllowList.CountedBy != tc.by || res.AllowList.CommonTokens != 3 {
				t.Errorf("allow-list: %+v, want counted by %s: elternabend, am, dienstag", res.AllowList, tc.by)
			}
			subjects := queryStrings(t, dst, "SELECT subject FROM messages WHERE subject LIKE 'Elternabend%' ORDER BY id")
			// The fixture's own "Elternabend" first, then the five, then hers.
			if len(subjects) != 7 || subjects[1] != "Elternabend am Dienstag" || subjects[6] == "Elternabend Kruemelmonster" ||
				!strings.HasPrefix(subjects[6], "Elternabend ") {
				t.Errorf("subjects: %q", subjects)
			}
		})
	}
}
