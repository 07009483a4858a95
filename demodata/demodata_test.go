package demodata_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"

	"github.com/wippidu/wippidu/demodata"
	"github.com/wippidu/wippidu/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// testNow pins the end of the generated history so that runs are comparable.
var testNow = time.Date(2026, 11, 25, 10, 11, 12, 0, time.UTC)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func generate(t *testing.T, cfg demodata.Config) (*pgxpool.Pool, demodata.Stats) {
	t.Helper()
	pool := pgtest.NewPool(t, pgtest.NewDB(t))
	if cfg.Now.IsZero() {
		cfg.Now = testNow
	}
	stats, err := demodata.Generate(context.Background(), pool, cfg, quietLogger())
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return pool, stats
}

func queryInt(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func between(t *testing.T, what string, got, lo, hi float64) {
	t.Helper()
	if got < lo || got > hi {
		t.Errorf("%s: got %.3f, want between %.3f and %.3f", what, got, lo, hi)
	}
}

func TestGenerate(t *testing.T) {
	t.Parallel()
	const users = 300
	pool, stats := generate(t, demodata.Config{Users: users, Seed: 7})
	ctx := context.Background()

	t.Run("proportions", func(t *testing.T) {
		counts := map[string]int64{}
		for _, tbl := range []string{"users", "school_classes", "students", "guardianships", "messages",
			"parental_letters", "letter_acknowledgements", "attachments"} {
			counts[tbl] = queryInt(t, pool, "SELECT count(*) FROM "+tbl)
			if got, want := stats.Rows(tbl), counts[tbl]; got != want {
				t.Errorf("Stats.Rows(%q) = %d, table has %d", tbl, got, want)
			}
		}
		parents := queryInt(t, pool, "SELECT count(*) FROM users WHERE role = 'parent'")
		teachers := queryInt(t, pool, "SELECT count(*) FROM users WHERE role = 'teacher'")
		admins := queryInt(t, pool, "SELECT count(*) FROM users WHERE role = 'admin'")
		if counts["users"] != users {
			t.Errorf("users: got %d, want %d", counts["users"], users)
		}
		between(t, "admins", float64(admins), 2, 6)
		between(t, "teacher share", float64(teachers)/users, 0.04, 0.06)
		between(t, "messages per user", float64(counts["messages"])/users, 9, 11)
		between(t, "students per parent", float64(counts["students"])/float64(parents), 1.1, 1.5)
		between(t, "classes per teacher", float64(counts["school_classes"])/float64(teachers), 0.7, 1.1)
		between(t, "letters per class", float64(counts["parental_letters"])/float64(counts["school_classes"]), 15, 25)
		msgAtt := queryInt(t, pool, "SELECT count(DISTINCT message_id) FROM attachments")
		letterAtt := queryInt(t, pool, "SELECT count(DISTINCT parental_letter_id) FROM attachments")
		between(t, "messages with attachments", float64(msgAtt)/float64(counts["messages"]), 0.03, 0.07)
		between(t, "letters with attachments", float64(letterAtt)/float64(counts["parental_letters"]), 0.2, 0.4)
		if counts["letter_acknowledgements"] < counts["parental_letters"] {
			t.Errorf("acknowledgements: got %d, want more than the %d letters", counts["letter_acknowledgements"], counts["parental_letters"])
		}
		if stats.DatabaseBytes <= stats.AttachmentBytes || stats.AttachmentBytes <= 0 {
			t.Errorf("sizes: database %d bytes, attachments %d bytes", stats.DatabaseBytes, stats.AttachmentBytes)
		}
	})

	t.Run("soft deletes", func(t *testing.T) {
		for _, tbl := range []string{"users", "students", "messages", "parental_letters", "attachments"} {
			if n := queryInt(t, pool, "SELECT count(*) FROM "+tbl+" WHERE deleted_at IS NOT NULL"); n == 0 {
				t.Errorf("%s: no soft-deleted rows", tbl)
			}
		}
		if n := queryInt(t, pool, "SELECT count(*) FROM users WHERE id = 1 AND deleted_at IS NULL AND role = 'admin'"); n != 1 {
			t.Errorf("user 1 is not a live admin")
		}
	})

	t.Run("nulls and empty strings", func(t *testing.T) {
		for _, col := range []string{"users.phone", "users.city", "students.notes", "school_classes.room", "letter_acknowledgements.comment"} {
			tbl, c, _ := cut(col)
			nulls := queryInt(t, pool, "SELECT count(*) FROM "+tbl+" WHERE "+c+" IS NULL")
			empty := queryInt(t, pool, "SELECT count(*) FROM "+tbl+" WHERE "+c+" = ''")
			set := queryInt(t, pool, "SELECT count(*) FROM "+tbl+" WHERE "+c+" <> ''")
			if nulls == 0 || empty == 0 || set == 0 {
				t.Errorf("%s: %d NULL, %d empty, %d set; want all three", col, nulls, empty, set)
			}
		}
		for _, q := range []string{
			"SELECT count(*) FROM parental_letters WHERE fee_amount IS NULL",
			"SELECT count(*) FROM parental_letters WHERE fee_amount IS NOT NULL",
			"SELECT count(*) FROM parental_letters WHERE metadata IS NULL",
			"SELECT count(*) FROM parental_letters WHERE metadata = '{}'",
			"SELECT count(*) FROM parental_letters WHERE jsonb_typeof(metadata -> 'location') = 'object'",
			"SELECT count(*) FROM parental_letters WHERE due_date IS NULL",
			"SELECT count(*) FROM parental_letters WHERE due_date IS NOT NULL",
			"SELECT count(*) FROM parental_letters WHERE published_at IS NULL",
			"SELECT count(*) FROM messages WHERE read_at IS NULL",
			"SELECT count(*) FROM messages WHERE tags = '{}'",
			"SELECT count(*) FROM messages WHERE cardinality(tags) > 1",
			"SELECT count(*) FROM messages WHERE subject = ''",
			"SELECT count(*) FROM students WHERE birth_date IS NULL",
			"SELECT count(*) FROM students WHERE school_class_id IS NULL",
			"SELECT count(*) FROM school_classes WHERE teacher_id IS NULL",
			"SELECT count(*) FROM users WHERE last_login_at IS NULL",
			"SELECT count(*) FROM users WHERE preferences <> '{}'",
		} {
			if queryInt(t, pool, q) == 0 {
				t.Errorf("%s: got 0 rows, want some", q)
			}
		}
	})

	t.Run("special characters survive COPY", func(t *testing.T) {
		for _, q := range []string{
			`SELECT count(*) FROM messages WHERE body LIKE '%' || chr(9) || '%'`,
			`SELECT count(*) FROM messages WHERE body LIKE '%' || chr(13) || chr(10) || '%'`,
			`SELECT count(*) FROM messages WHERE strpos(body, '\\schulserver\klasse5b\Mathe') > 0`,
			`SELECT count(*) FROM messages WHERE strpos(body, '¯\_(ツ)_/¯') > 0`,
			`SELECT count(*) FROM messages WHERE body LIKE '%"Sonnenblume2026"%'`,
			`SELECT count(*) FROM messages WHERE body ~ '[äöüß]' AND body ~ '[😊🎉🙈👋]'`,
			`SELECT count(*) FROM messages WHERE 'C:\Pfad' = ANY (tags)`,
			`SELECT count(*) FROM messages WHERE '"Zitat"' = ANY (tags)`,
			`SELECT count(*) FROM messages WHERE 'Klasse 5b, AG' = ANY (tags)`,
			`SELECT count(*) FROM messages WHERE 'NULL' = ANY (tags) AND array_position(tags, NULL) IS NULL`,
			`SELECT count(*) FROM (SELECT last_name FROM users UNION ALL SELECT last_name FROM students) n WHERE strpos(last_name, chr(39)) > 0`,
			`SELECT count(*) FROM users WHERE street LIKE 'c/o Familie "Sonnenschein"' || chr(10) || '%'`,
			`SELECT count(*) FROM parental_letters WHERE metadata ->> 'note' = E'Pfad: \\\\server\\eltern\\briefe'`,
			`SELECT count(*) FROM messages WHERE extract(microseconds FROM created_at)::bigint % 1000 <> 0`,
		} {
			if queryInt(t, pool, q) == 0 {
				t.Errorf("%s: got 0 rows, want some", q)
			}
		}
		between(t, "max body length", float64(queryInt(t, pool, "SELECT max(char_length(body)) FROM messages")), 1000, 2000)
		between(t, "min body length", float64(queryInt(t, pool, "SELECT min(char_length(body)) FROM messages")), 50, 200)
	})

	t.Run("consistency", func(t *testing.T) {
		for _, q := range []string{
			// Every child is six when starting grade 1, give or take a year.
			`SELECT count(*) FROM students s JOIN school_classes c ON c.id = s.school_class_id
			 WHERE s.birth_date IS NOT NULL AND date_part('year', age(make_date(split_part(c.school_year, '/', 1)::int, 8, 1), s.birth_date)) NOT BETWEEN c.grade + 4 AND c.grade + 7`,
			`SELECT count(*) FROM students s WHERE NOT EXISTS (SELECT 1 FROM guardianships g WHERE g.student_id = s.id)`,
			`SELECT count(*) FROM letter_acknowledgements a WHERE NOT EXISTS (SELECT 1 FROM guardianships g WHERE g.student_id = a.student_id AND g.parent_id = a.parent_id)`,
			`SELECT count(*) FROM letter_acknowledgements a JOIN parental_letters l ON l.id = a.parental_letter_id JOIN students s ON s.id = a.student_id
			 WHERE s.school_class_id <> l.school_class_id OR NOT l.requires_acknowledgement OR a.acknowledged_at < l.published_at`,
			`SELECT count(*) FROM messages WHERE sender_id = recipient_id OR updated_at < created_at OR read_at < created_at`,
			`SELECT count(*) FROM users WHERE role <> 'parent' AND id IN (SELECT parent_id FROM guardianships)`,
			`SELECT count(*) FROM attachments WHERE size_bytes <> length(data)`,
			`SELECT count(*) FROM (SELECT lower(email) FROM users WHERE deleted_at IS NULL GROUP BY 1 HAVING count(*) > 1) d`,
			`SELECT count(*) FROM school_classes WHERE school_year !~ '^20[0-9]{2}/[0-9]{2}$'`,
		} {
			if n := queryInt(t, pool, q); n != 0 {
				t.Errorf("%s: got %d rows, want 0", q, n)
			}
		}
		if n := queryInt(t, pool, "SELECT count(*) FROM school_classes WHERE school_year = '2026/27'"); n == 0 {
			t.Errorf("no class in the current school year 2026/27")
		}
	})

	t.Run("sequences", func(t *testing.T) {
		for _, tbl := range []string{"users", "school_classes", "students", "guardianships", "messages",
			"parental_letters", "letter_acknowledgements", "attachments"} {
			maxID := queryInt(t, pool, "SELECT max(id) FROM "+tbl)
			next := queryInt(t, pool, "SELECT nextval(pg_get_serial_sequence($1, 'id'))", tbl)
			if next <= maxID {
				t.Errorf("%s: nextval %d, want > max(id) %d", tbl, next, maxID)
			}
		}
	})

	t.Run("admin login", func(t *testing.T) {
		var hash string
		if err := pool.QueryRow(ctx, "SELECT password_hash FROM users WHERE email = $1 AND role = 'admin'", demodata.DefaultAdminEmail).Scan(&hash); err != nil {
			t.Fatal(err)
		}
		if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(demodata.DefaultAdminPassword)); err != nil {
			t.Errorf("admin password does not verify: %v", err)
		}
		if n := queryInt(t, pool, "SELECT count(DISTINCT password_hash) FROM users"); n < 10 {
			t.Errorf("distinct password hashes: got %d, want a pool", n)
		}
		if n := queryInt(t, pool, "SELECT count(*) FROM users WHERE password_hash NOT LIKE '$2a$10$%'"); n != 0 {
			t.Errorf("%d password hashes are not bcrypt cost 10", n)
		}
	})

	t.Run("attachments do not compress", func(t *testing.T) {
		rows, err := pool.Query(ctx, "SELECT filename, mime_type, data FROM attachments ORDER BY id LIMIT 20")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var name, mime string
			var data []byte
			if err := rows.Scan(&name, &mime, &data); err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			_, _ = zw.Write(data)
			_ = zw.Close()
			if ratio := float64(b.Len()) / float64(len(data)); ratio <= 0.9 {
				t.Errorf("%s: gzip ratio %.2f, want > 0.9", name, ratio)
			}
			if mime == "application/pdf" && !bytes.HasPrefix(data, []byte("%PDF-")) {
				t.Errorf("%s: PDF without %%PDF- magic", name)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		between(t, "average attachment KiB", float64(stats.AttachmentBytes)/float64(stats.Rows("attachments"))/1024, 0.8*64, 1.4*64)
	})

	t.Run("refuses a second run", func(t *testing.T) {
		before := queryInt(t, pool, "SELECT count(*) FROM messages")
		_, err := demodata.Generate(ctx, pool, demodata.Config{Users: 10, Now: testNow}, quietLogger())
		if !errors.Is(err, demodata.ErrNotEmpty) {
			t.Fatalf("second Generate: got %v, want ErrNotEmpty", err)
		}
		if after := queryInt(t, pool, "SELECT count(*) FROM messages"); after != before {
			t.Errorf("messages after refused run: got %d, want %d", after, before)
		}
	})
}

func TestGenerateRefusesUnmigratedDatabase(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t, pgtest.NewEmptyDB(t))
	_, err := demodata.Generate(context.Background(), pool, demodata.Config{Users: 10}, quietLogger())
	if !errors.Is(err, demodata.ErrNotMigrated) {
		t.Fatalf("got %v, want ErrNotMigrated", err)
	}
}

func TestGenerateRefusesAnyData(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t, pgtest.NewDB(t))
	if _, err := pool.Exec(context.Background(), "INSERT INTO users (email, password_hash, role) VALUES ('x@example.org', 'x', 'parent')"); err != nil {
		t.Fatal(err)
	}
	_, err := demodata.Generate(context.Background(), pool, demodata.Config{Users: 10}, quietLogger())
	if !errors.Is(err, demodata.ErrNotEmpty) {
		t.Fatalf("got %v, want ErrNotEmpty", err)
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	t.Parallel()
	cfg := demodata.Config{Users: 120, AttachmentKB: 4, Seed: 99}
	poolA, _ := generate(t, cfg)
	poolB, _ := generate(t, cfg)
	cfg.Seed = 100
	poolC, _ := generate(t, cfg)

	digest := func(pool *pgxpool.Pool, tbl string) string {
		t.Helper()
		var s string
		q := "SELECT md5(string_agg(t::text, E'\\n' ORDER BY id)) FROM " + tbl + " t"
		if tbl == "users" { // bcrypt salts differ on every run
			q = "SELECT md5(string_agg((t.*, NULL::text)::text, E'\\n' ORDER BY id)) FROM (SELECT id, email, first_name, last_name, street, postal_code, city, phone, role, created_at, last_login_at, preferences FROM users) t"
		}
		if err := pool.QueryRow(context.Background(), q).Scan(&s); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return s
	}
	for _, tbl := range []string{"users", "school_classes", "students", "guardianships", "messages",
		"parental_letters", "letter_acknowledgements", "attachments"} {
		a, b, c := digest(poolA, tbl), digest(poolB, tbl), digest(poolC, tbl)
		if a != b {
			t.Errorf("%s: same seed gave different rows", tbl)
		}
		if a == c {
			t.Errorf("%s: different seeds gave the same rows", tbl)
		}
	}
}

func TestGenerateTinyAndOddConfigs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  demodata.Config
	}{
		{"one user", demodata.Config{Users: 1}},
		{"two users", demodata.Config{Users: 2}},
		{"five users", demodata.Config{Users: 5, AttachmentKB: 1}},
		{"custom admin", demodata.Config{Users: 30, AttachmentKB: 1, AdminEmail: "Chef@Example.org", AdminPassword: "geheim \"123\""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pool, stats := generate(t, tc.cfg)
			if got := stats.Rows("users"); got != int64(tc.cfg.Users) {
				t.Errorf("users: got %d, want %d", got, tc.cfg.Users)
			}
			email, password := tc.cfg.AdminEmail, tc.cfg.AdminPassword
			if email == "" {
				email, password = demodata.DefaultAdminEmail, demodata.DefaultAdminPassword
			}
			var hash string
			if err := pool.QueryRow(context.Background(), "SELECT password_hash FROM users WHERE id = 1 AND email = $1", email).Scan(&hash); err != nil {
				t.Fatalf("admin %s: %v", email, err)
			}
			if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)); err != nil {
				t.Errorf("admin password: %v", err)
			}
		})
	}
}

func TestGenerateRejectsBadConfig(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t, pgtest.NewDB(t))
	for _, cfg := range []demodata.Config{{Users: 0}, {Users: -3}, {Users: 5, AttachmentKB: -1}, {Users: 5, AdminEmail: "nobody"}} {
		if _, err := demodata.Generate(context.Background(), pool, cfg, quietLogger()); err == nil {
			t.Errorf("Generate(%+v): got nil error", cfg)
		}
	}
}

// cancelAfter is a slog handler that cancels a context once a given table is loaded.
type cancelAfter struct {
	slog.Handler
	table  string
	cancel context.CancelFunc
}

func (h cancelAfter) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "table loaded" {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "table" && a.Value.String() == h.table {
				h.cancel()
			}
			return true
		})
	}
	return nil
}

func TestGenerateCancelledRollsBack(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t, pgtest.NewDB(t))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logger := slog.New(cancelAfter{Handler: slog.NewTextHandler(io.Discard, nil), table: "guardianships", cancel: cancel})
	_, err := demodata.Generate(ctx, pool, demodata.Config{Users: 1000, AttachmentKB: 1, Now: testNow}, logger)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	for _, q := range []string{
		"SELECT count(*) FROM users",
		"SELECT count(*) FROM guardianships",
		"SELECT count(*) FROM messages",
	} {
		if n := queryInt(t, pool, q); n != 0 {
			t.Errorf("%s after a cancelled run: got %d, want 0", q, n)
		}
	}
	// The indexes and foreign keys dropped for the load are back.
	if n := queryInt(t, pool, "SELECT count(*) FROM pg_indexes WHERE indexname = 'messages_recipient_id_idx'"); n != 1 {
		t.Errorf("messages_recipient_id_idx after a cancelled run: got %d, want 1", n)
	}
	if n := queryInt(t, pool, "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid = 'messages'::regclass"); n != 2 {
		t.Errorf("foreign keys of messages after a cancelled run: got %d, want 2", n)
	}
	// And the database can still be filled.
	if _, err := demodata.Generate(context.Background(), pool, demodata.Config{Users: 20, AttachmentKB: 1, Now: testNow}, quietLogger()); err != nil {
		t.Fatalf("Generate after a cancelled run: %v", err)
	}
}

func TestGenerateRestoresIndexesAndForeignKeys(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewDB(t)
	pool := pgtest.NewPool(t, dbURL)
	const catalogSQL = `SELECT string_agg(x, E'\n' ORDER BY x) FROM (
		SELECT indexdef AS x FROM pg_indexes WHERE schemaname = current_schema()
		UNION ALL
		SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated FROM pg_constraint WHERE connamespace = current_schema()::regnamespace) s`
	var before, after string
	if err := pool.QueryRow(context.Background(), catalogSQL).Scan(&before); err != nil {
		t.Fatal(err)
	}
	if _, err := demodata.Generate(context.Background(), pool, demodata.Config{Users: 50, AttachmentKB: 1, Now: testNow}, quietLogger()); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(context.Background(), catalogSQL).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if before != after {
		t.Errorf("indexes and constraints changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

func cut(col string) (tbl, c string, ok bool) {
	for i := range col {
		if col[i] == '.' {
			return col[:i], col[i+1:], true
		}
	}
	return col, "", false
}
