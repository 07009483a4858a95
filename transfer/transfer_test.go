package transfer_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/dump"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/internal/testdb"
	"github.com/wippidu/wippidu/internal/testsalt"
	"github.com/wippidu/wippidu/transfer"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func seed(t *testing.T, pool *pgxpool.Pool) { testdb.Fixture(t, pool) }

func export(t *testing.T, pool *pgxpool.Pool, attachments bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := transfer.Export(context.Background(), conn(t, pool), &buf, transfer.ExportOptions{SourceHost: "app.wippidu.net", IncludeAttachments: attachments}); err != nil {
		t.Fatalf("export: %v", err)
	}
	return buf.Bytes()
}

func anon(t *testing.T, off ...string) *anonymizer.Anonymizer {
	t.Helper()
	a, err := anonymizer.New(anonymizer.DefaultPolicy(), off, testsalt.Salt)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func importDump(t *testing.T, pool *pgxpool.Pool, file []byte, a *anonymizer.Anonymizer) (*wippidu.ImportResult, error) {
	t.Helper()
	return transfer.Import(context.Background(), conn(t, pool), transfer.Bytes(file), transfer.ImportOptions{Anonymizer: a})
}

// appChecksums are the checksums of the app tables only.
func appChecksums(t *testing.T, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	sums := pgtest.Checksums(t, pool)
	delete(sums, "import_export_audits")
	delete(sums, "schema_migrations")
	return sums
}

func TestRoundTripWithAnonymizersOffIsExact(t *testing.T) {
	t.Parallel()
	src := pgtest.NewPool(t, pgtest.NewDB(t))
	dst := pgtest.NewPool(t, pgtest.NewDB(t))
	seed(t, src)
	file := export(t, src, true)

	res, err := importDump(t, dst, file, anon(t, anonymizer.Keys...))
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	sameTables(t, appChecksums(t, src), appChecksums(t, dst))
	if res.SourceHost != "app.wippidu.net" || res.ExportedAt.IsZero() {
		t.Errorf("result header: got %q %v", res.SourceHost, res.ExportedAt)
	}
	if len(res.AnonymizersRun) != 0 || len(res.AnonymizersSkipped) != len(anonymizer.Keys) || res.PasswordsReset {
		t.Errorf("anonymizers: ran %v skipped %v reset %v", res.AnonymizersRun, res.AnonymizersSkipped, res.PasswordsReset)
	}
	counts := map[string]int64{}
	for _, tc := range res.Tables {
		counts[tc.Name] = tc.Rows
	}
	if counts["users"] != 5 || counts["messages"] != 4 || counts["attachments"] != 3 {
		t.Errorf("rows per table: got %v", counts)
	}
	// The local audit history is neither exported nor overwritten.
	var audits int
	if err := dst.QueryRow(context.Background(), "SELECT count(*) FROM import_export_audits").Scan(&audits); err != nil {
		t.Fatal(err)
	}
	if audits != 0 {
		t.Errorf("audit rows in staging after import: got %d, want 0", audits)
	}
	if strings.Contains(string(gunzip(t, file)), "import_export_audits") {
		t.Error("dump contains import_export_audits")
	}
}

func TestEverySequenceEndsPastMaxID(t *testing.T) {
	t.Parallel()
	src := pgtest.NewPool(t, pgtest.NewDB(t))
	dst := pgtest.NewPool(t, pgtest.NewDB(t))
	seed(t, src)
	if _, err := importDump(t, dst, export(t, src, true), anon(t)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, table := range []string{"users", "school_classes", "students", "guardianships", "messages", "parental_letters", "letter_acknowledgements", "attachments"} {
		var maxID, next int64
		if err := dst.QueryRow(ctx, "SELECT COALESCE(MAX(id), 0) FROM "+table).Scan(&maxID); err != nil {
			t.Fatal(err)
		}
		if err := dst.QueryRow(ctx, "SELECT nextval(pg_get_serial_sequence($1, 'id'))", table).Scan(&next); err != nil {
			t.Fatal(err)
		}
		if next <= maxID {
			t.Errorf("%s: nextval %d, want > MAX(id) %d", table, next, maxID)
		}
	}
	// A new row on staging does not collide.
	if _, err := dst.Exec(ctx, "INSERT INTO users (email, password_hash, role) VALUES ('new@staging.local', 'x', 'parent')"); err != nil {
		t.Errorf("insert after import: %v", err)
	}
}

func TestDefaultAnonymizersLeaveNoPersonalData(t *testing.T) {
	t.Parallel()
	src := pgtest.NewPool(t, pgtest.NewDB(t))
	dst := pgtest.NewPool(t, pgtest.NewDB(t))
	seed(t, src)
	res, err := importDump(t, dst, export(t, src, true), anon(t))
	if err != nil {
		t.Fatal(err)
	}
	if !res.PasswordsReset || len(res.AnonymizersRun) != len(anonymizer.Keys) {
		t.Errorf("result: ran %v, reset %v", res.AnonymizersRun, res.PasswordsReset)
	}
	ctx := context.Background()
	// Every production value of a personal-data column, none of which may reach staging.
	pii := map[string]string{
		"users.email":                     "SELECT email FROM users",
		"users.first_name":                "SELECT first_name FROM users",
		"users.last_name":                 "SELECT last_name FROM users",
		"users.street":                    "SELECT street FROM users WHERE street <> ''",
		"users.postal_code":               "SELECT postal_code FROM users WHERE postal_code <> ''",
		"users.city":                      "SELECT city FROM users WHERE city <> ''",
		"users.phone":                     "SELECT phone FROM users WHERE phone <> ''",
		"users.password_hash":             "SELECT password_hash FROM users",
		"students.first_name":             "SELECT first_name FROM students",
		"students.last_name":              "SELECT last_name FROM students",
		"students.notes":                  "SELECT notes FROM students WHERE notes <> ''",
		"messages.body":                   "SELECT body FROM messages WHERE body <> ''",
		"parental_letters.body":           "SELECT body FROM parental_letters WHERE body <> ''",
		"letter_acknowledgements.comment": "SELECT comment FROM letter_acknowledgements WHERE comment <> ''",
		"attachments.data":                "SELECT encode(data, 'hex') FROM attachments WHERE data <> ''",
	}
	for col, q := range pii {
		prod := queryStrings(t, src, q)
		if len(prod) == 0 {
			t.Fatalf("%s: fixture has no values", col)
		}
		staging := queryStrings(t, dst, strings.Replace(q, " WHERE", " WHERE true OR", 1))
		for _, v := range prod {
			if slices.Contains(staging, v) {
				t.Errorf("%s: production value %q reached staging", col, v)
			}
		}
	}

	// Each anonymizer's replacement.
	var email, first, last string
	var street, phone *string
	var hash string
	if err := dst.QueryRow(ctx, "SELECT email, first_name, last_name, street, phone, password_hash FROM users WHERE id = 3").Scan(&email, &first, &last, &street, &phone, &hash); err != nil {
		t.Fatal(err)
	}
	if email != "user-3@staging.local" {
		t.Errorf("email: got %q, want user-3@staging.local", email)
	}
	if first == "" || last == "" {
		t.Errorf("names: got %q %q, want fake names", first, last)
	}
	if street != nil || phone != nil {
		t.Errorf("contacts: got street %v phone %v, want NULL", street, phone)
	}
	if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(anonymizer.StagingPassword)); err != nil {
		t.Errorf("password hash does not match staging123: %v", err)
	}
	var distinctHashes int
	if err := dst.QueryRow(ctx, "SELECT count(DISTINCT password_hash) FROM users").Scan(&distinctHashes); err != nil {
		t.Fatal(err)
	}
	if distinctHashes != 1 {
		t.Errorf("distinct password hashes: got %d, want 1 (hashed once per import)", distinctHashes)
	}
	bodies := queryStrings(t, dst, "SELECT body FROM messages UNION SELECT body FROM parental_letters")
	if len(bodies) != 1 || bodies[0] != anonymizer.ScrubbedText {
		t.Errorf("bodies: got %q, want only %q", bodies, anonymizer.ScrubbedText)
	}
	rows, err := dst.Query(ctx, "SELECT filename, mime_type, size_bytes, data FROM attachments ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	// Three files of three people: their names' words are rare, and each is
	// replaced by a made-up word of its length.
	wantFiles := []string{"Einladung.pdf", "foto \"zoo\".jpg", "attest.png"}
	i := 0
	for rows.Next() {
		var name, mime string
		var size int64
		var data []byte
		if err := rows.Scan(&name, &mime, &size, &data); err != nil {
			t.Fatal(err)
		}
		if name == wantFiles[i] || utf8.RuneCountInString(name) != utf8.RuneCountInString(wantFiles[i]) || strings.Count(name, ".") != 1 || mime == "" {
			t.Errorf("attachment %d: got %q %q, want the rare words of %q replaced by words of their length, and the MIME type kept", i, name, mime, wantFiles[i])
		}
		if !bytes.Equal(data, anonymizer.PlaceholderPNG) || size != int64(len(anonymizer.PlaceholderPNG)) {
			t.Errorf("attachment %d: got %d bytes (size_bytes %d), want the placeholder PNG", i, len(data), size)
		}
		i++
	}
	if i != 3 {
		t.Errorf("attachments: got %d, want 3", i)
	}
	// Soft-deleted rows stay soft-deleted.
	var deleted int
	if err := dst.QueryRow(ctx, "SELECT count(*) FROM users WHERE id = 4 AND deleted_at = '2025-06-01 12:00:00.5+00'").Scan(&deleted); err != nil {
		t.Fatal(err)
	}
	if deleted != 1 {
		t.Error("soft-deleted user is not soft-deleted on staging")
	}
}

func TestNamesAreDeterministicPerSalt(t *testing.T) {
	t.Parallel()
	src := pgtest.NewPool(t, pgtest.NewDB(t))
	seed(t, src)
	file := export(t, src, false)
	names := func(salt string) []string {
		dst := pgtest.NewPool(t, pgtest.NewDB(t))
		a, err := anonymizer.New(anonymizer.DefaultPolicy(), nil, salt)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := transfer.Import(context.Background(), conn(t, dst), transfer.Bytes(file), transfer.ImportOptions{Anonymizer: a}); err != nil {
			t.Fatal(err)
		}
		return queryStrings(t, dst, "SELECT id || ':' || first_name || ' ' || last_name FROM (SELECT id, first_name, last_name FROM users UNION ALL SELECT id + 1000, first_name, last_name FROM students) x ORDER BY id")
	}
	a1, a2, b := names(testsalt.Salt), names(testsalt.Salt), names(testsalt.Other)
	if !slices.Equal(a1, a2) {
		t.Errorf("same salt, different names:\n%v\n%v", a1, a2)
	}
	if slices.Equal(a1, b) {
		t.Errorf("different salts gave the same names: %v", a1)
	}
}

func TestFailedImportLeavesStagingUnchanged(t *testing.T) {
	t.Parallel()
	src := pgtest.NewPool(t, pgtest.NewDB(t))
	seed(t, src)
	good := export(t, src, true)

	dst := pgtest.NewPool(t, pgtest.NewDB(t))
	if _, err := importDump(t, dst, good, anon(t)); err != nil {
		t.Fatal(err)
	}
	before := pgtest.Checksums(t, dst)

	// A foreign key pointing nowhere only shows when constraints are re-added at the end.
	brokenFK := rewrite(t, good, `,1,null,"Einladung.pdf"`, `,999,null,"Einladung.pdf"`)
	// A bad value half-way through the load.
	badDate := rewrite(t, good, `"2018-05-17"`, `"2018-05-32"`)
	truncated := good[:len(good)*2/3]

	for name, file := range map[string][]byte{"foreign key": brokenFK, "bad date": badDate, "truncated": truncated} {
		t.Run(name, func(t *testing.T) {
			_, err := importDump(t, dst, file, anon(t))
			if err == nil {
				t.Fatal("import succeeded, want an error")
			}
			t.Logf("error: %v", err)
			if !errors.Is(err, transfer.ErrBadDump) {
				t.Errorf("error %v: want it marked as a bad dump (not retried)", err)
			}
			pgtest.ExpectUnchanged(t, dst, before, "a failed import")
		})
	}
	if _, err := importDump(t, dst, good, anon(t)); err != nil {
		t.Fatalf("good import after failures: %v", err)
	}
}

func TestSchemaDrift(t *testing.T) {
	t.Parallel()
	src := pgtest.NewPool(t, pgtest.NewDB(t))
	dst := pgtest.NewPool(t, pgtest.NewDB(t))
	seed(t, src)
	ctx := context.Background()
	// Production is a release ahead: an extra table and an extra column.
	if _, err := src.Exec(ctx, `CREATE TABLE homework (id bigserial PRIMARY KEY, title text);
		INSERT INTO homework (title) VALUES ('Aufsatz');
		ALTER TABLE messages ADD COLUMN priority integer NOT NULL DEFAULT 3`); err != nil {
		t.Fatal(err)
	}
	// Staging expects a table and a column production does not have.
	if _, err := dst.Exec(ctx, `CREATE TABLE calendar_events (id bigserial PRIMARY KEY, title text);
		INSERT INTO calendar_events (title) VALUES ('old staging row');
		ALTER TABLE users ADD COLUMN nickname text NOT NULL DEFAULT 'n/a'`); err != nil {
		t.Fatal(err)
	}
	res, err := importDump(t, dst, export(t, src, true), anon(t))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.SkippedTables, []string{"homework"}) {
		t.Errorf("skipped tables: got %v, want [homework]", res.SkippedTables)
	}
	if !slices.Equal(res.MissingTables, []string{"calendar_events"}) {
		t.Errorf("missing tables: got %v, want [calendar_events]", res.MissingTables)
	}
	if !slices.Equal(res.SkippedColumns, []string{"messages.priority"}) {
		t.Errorf("skipped columns: got %v", res.SkippedColumns)
	}
	if !slices.Equal(res.MissingColumns, []string{"users.nickname"}) {
		t.Errorf("missing columns: got %v", res.MissingColumns)
	}
	if n := queryStrings(t, dst, "SELECT count(*)::text FROM calendar_events"); n[0] != "0" {
		t.Errorf("missing table rows: got %s, want 0 (left empty)", n[0])
	}
	if n := queryStrings(t, dst, "SELECT DISTINCT nickname FROM users"); !slices.Equal(n, []string{"n/a"}) {
		t.Errorf("missing column: got %v, want the default", n)
	}
	if _, err := dst.Exec(ctx, "SELECT 1 FROM homework"); err == nil {
		t.Error("skipped table was created on staging")
	}
}

func TestNewerSchemaVersionRefused(t *testing.T) {
	t.Parallel()
	dst := pgtest.NewPool(t, pgtest.NewDB(t))
	file := testdb.Gzip(t, `{"schema_version":2,"app":"wippidu","tables":[]}`)
	_, err := importDump(t, dst, file, anon(t))
	if err == nil || err.Error() != "Dump schema version 2 is newer than this instance supports." {
		t.Fatalf("got %v, want the exact newer-schema message", err)
	}
	var newer *dump.NewerSchemaError
	if !errors.As(err, &newer) || !errors.Is(err, transfer.ErrBadDump) {
		t.Errorf("got %T, want a NewerSchemaError marked as bad dump", err)
	}
}

func TestOnlyOneImportAtATime(t *testing.T) {
	t.Parallel()
	src := pgtest.NewPool(t, pgtest.NewDB(t))
	seed(t, src)
	file := export(t, src, true)
	dst := pgtest.NewPool(t, pgtest.NewDB(t))
	ctx := context.Background()
	tx, err := dst.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", transfer.ImportLockKey); err != nil {
		t.Fatal(err)
	}
	if _, err := importDump(t, dst, file, anon(t)); !errors.Is(err, transfer.ErrBusy) {
		t.Fatalf("got %v, want ErrBusy", err)
	}
}

// conn takes a connection from the pool for the rest of the test.
func conn(t *testing.T, pool *pgxpool.Pool) *pgx.Conn {
	t.Helper()
	c, err := pool.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Release)
	return c.Conn()
}

func queryStrings(t *testing.T, pool *pgxpool.Pool, q string) []string {
	t.Helper()
	return pgtest.Strings(t, pool, q)
}

func TestExportIsOneConsistentSnapshot(t *testing.T) {
	t.Parallel()
	src := pgtest.NewPool(t, pgtest.NewDB(t))
	seed(t, src)
	ctx := context.Background()
	var buf bytes.Buffer
	wrote := false
	_, err := transfer.Export(ctx, conn(t, src), &buf, transfer.ExportOptions{
		IncludeAttachments: true,
		Progress: func(p wippidu.Progress) {
			// Once the export is under way, another session commits new rows into
			// a table the export has not reached yet.
			if p.Phase == wippidu.PhaseExporting && p.Table == "users" && !wrote {
				wrote = true
				if _, err := src.Exec(ctx, `INSERT INTO letter_acknowledgements (parental_letter_id, parent_id, student_id) VALUES (2, 3, 1);
					UPDATE messages SET subject = 'changed' WHERE id = 1`); err != nil {
					t.Error(err)
				}
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !wrote {
		t.Fatal("progress never reported the users table")
	}
	js := string(gunzip(t, buf.Bytes()))
	if strings.Contains(js, `"changed"`) {
		t.Error("export saw an update committed after its snapshot")
	}
	dst := pgtest.NewPool(t, pgtest.NewDB(t))
	if _, err := importDump(t, dst, buf.Bytes(), anon(t, anonymizer.Keys...)); err != nil {
		t.Fatal(err)
	}
	if n := queryStrings(t, dst, "SELECT count(*)::text FROM letter_acknowledgements"); n[0] != "3" {
		t.Errorf("acknowledgements in the dump: got %s, want 3 (the row committed later is not in the snapshot)", n[0])
	}
}

// TestImportedRowsAreFrozen: the import loads with COPY FREEZE, so what it loads
// is all-visible at once (ANALYZE counts the visibility map's pages); without
// FREEZE no page is until a vacuum, which would then rewrite every one of them.
func TestImportedRowsAreFrozen(t *testing.T) {
	t.Parallel()
	src := pgtest.NewPool(t, pgtest.NewDB(t))
	seed(t, src)
	file := export(t, src, true)
	for name, a := range map[string]*anonymizer.Anonymizer{"default": anon(t), "anonymizers off": anon(t, anonymizer.Keys...)} {
		t.Run(name, func(t *testing.T) {
			dst := pgtest.NewPool(t, pgtest.NewDB(t))
			if _, err := importDump(t, dst, file, a); err != nil {
				t.Fatalf("import: %v", err)
			}
			tables := []string{"users", "students", "messages", "parental_letters", "attachments", "letter_acknowledgements"}
			if _, err := dst.Exec(context.Background(), "ANALYZE "+strings.Join(tables, ", ")); err != nil {
				t.Fatal(err)
			}
			for _, table := range tables {
				var visible, pages int
				if err := dst.QueryRow(context.Background(), "SELECT relallvisible, relpages FROM pg_class WHERE oid = $1::regclass", table).
					Scan(&visible, &pages); err != nil {
					t.Fatal(err)
				}
				if pages == 0 || visible != pages {
					t.Errorf("%s: %d of %d pages all-visible after the import, want every one", table, visible, pages)
				}
			}
		})
	}
}
