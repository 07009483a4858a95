package transfer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/transfer"
)

// The planted production identity: a parent with her child, a body, a hash.
const (
	plantedEmail = "kunigunde.unverwechselbar@example.org"
	plantedPhone = "+49 170 5550001"
	plantedHash  = "$2a$10$PLANTEDhashPLANTEDhashPLANTEDhashPLANTEDhashPLANTEDh"
	plantedBody  = "Bitte entschuldigen Sie Ottokars Fehlen am Montag, er hatte Fieber."
)

// plantedText holds every kind of production value a text may hold by mistake. A
// copy of a body is not among them: the leak check refuses it (see
// TestLeakCheckRefusesWhatWouldRemain).
var plantedText = "Kunigunde Unverwechselbar <" + plantedEmail + ">, Tel. " + plantedPhone +
	", Zwetschgenallee 17; Krankmeldung Ottokar Sonderbar; " + plantedHash

// textColumn is an app column that can hold text, found in the catalog.
type textColumn struct{ table, column, dataType, udt string }

// textColumns lists every column of every app table that can hold text: text,
// varchar, char, json, jsonb and arrays of them.
func textColumns(t *testing.T, pool *pgxpool.Pool) []textColumn {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		SELECT c.table_name, c.column_name, c.data_type, c.udt_name
		FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
		  AND c.table_name NOT IN ('import_export_audits', 'schema_migrations', 'web_sessions') AND c.table_name NOT LIKE 'river%'
		  AND (c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')
		       OR (c.data_type = 'ARRAY' AND c.udt_name IN ('_text', '_varchar', '_bpchar', '_json', '_jsonb')))
		ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	cols, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (textColumn, error) {
		var c textColumn
		err := row.Scan(&c.table, &c.column, &c.dataType, &c.udt)
		return c, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return cols
}

// plant writes the planted identity into every text-like column of every app
// table (one row each), where the column's constraints let it, and returns the
// columns it filled.
func plant(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	ctx := context.Background()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO users (id, email, first_name, last_name, street, postal_code, city, phone, password_hash, role)
			VALUES (70, $1, 'Kunigunde', 'Unverwechselbar', 'Zwetschgenallee 17', '10115', 'Berlin', $2, $3, 'parent')`,
			[]any{plantedEmail, plantedPhone, plantedHash}},
		{`INSERT INTO students (id, first_name, last_name, birth_date) VALUES (70, 'Ottokar', 'Sonderbar', '2016-03-01')`, nil},
		{`INSERT INTO guardianships (parent_id, student_id) VALUES (70, 70)`, nil},
		{`INSERT INTO messages (sender_id, recipient_id, subject, body) VALUES (70, 2, 'Krankmeldung Ottokar', $1)`, []any{plantedBody}},
	} {
		if _, err := pool.Exec(ctx, q.sql, q.args...); err != nil {
			t.Fatal(err)
		}
	}
	doc, _ := json.Marshal(map[string]any{
		"note": plantedText, "signature": plantedText, plantedEmail: true,
		"nested":  map[string]any{"list": []any{plantedEmail, "Unverwechselbar, Kunigunde", 17, nil}},
		"contact": map[string]any{"name": "Kunigunde Unverwechselbar", "phone": plantedPhone},
	})
	var filled []string
	for _, c := range textColumns(t, pool) {
		var value any = plantedText
		switch {
		case c.dataType == "json" || c.dataType == "jsonb":
			value = string(doc)
		case c.dataType == "ARRAY":
			value = []string{plantedEmail, "Kunigunde Unverwechselbar", plantedPhone, "Zwetschgenallee 17", plantedHash}
		}
		sql := fmt.Sprintf(`UPDATE %s SET %s = $1 WHERE id = (SELECT min(id) FROM %[1]s WHERE id <> 70)`,
			pgx.Identifier{c.table}.Sanitize(), pgx.Identifier{c.column}.Sanitize())
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { _, err := tx.Exec(ctx, sql, value); return err })
		if err != nil {
			t.Logf("not planted in %s.%s: %v", c.table, c.column, err)
			continue
		}
		filled = append(filled, c.table+"."+c.column)
	}
	return filled
}

// productionValues are the values of the source's personal columns the scan looks
// for, lower-cased.
type productionValues struct {
	emails, fullNames, streets, hashes, bodies, phones []string
	names                                              []string // single first and last names
}

func collectProduction(t *testing.T, pool *pgxpool.Pool) productionValues {
	t.Helper()
	var p productionValues
	lower := func(q string) []string {
		var out []string
		for _, v := range queryStrings(t, pool, q) {
			out = append(out, strings.ToLower(v))
		}
		return out
	}
	p.emails = lower("SELECT email FROM users")
	p.fullNames = lower("SELECT first_name || ' ' || last_name FROM users UNION SELECT first_name || ' ' || last_name FROM students")
	p.streets = lower("SELECT split_part(street, E'\\n', 1) FROM users WHERE length(street) > 4")
	p.hashes = queryStrings(t, pool, "SELECT password_hash FROM users")
	p.bodies = lower(`SELECT body FROM messages WHERE length(body) >= 32 UNION SELECT body FROM parental_letters WHERE length(body) >= 32
		UNION SELECT notes FROM students WHERE length(notes) >= 32 UNION SELECT comment FROM letter_acknowledgements WHERE length(comment) >= 32`)
	for _, ph := range queryStrings(t, pool, "SELECT phone FROM users WHERE phone <> ''") {
		d := regexp.MustCompile(`\D`).ReplaceAllString(ph, "")
		d = strings.TrimLeft(strings.TrimPrefix(strings.TrimPrefix(d, "0049"), "49"), "0")
		if strings.HasPrefix(ph, "+") || len(d) >= 7 {
			p.phones = append(p.phones, d)
		}
	}
	// Single names of two letters or more, of the people as they were (not of the
	// rows the identity was planted into).
	for _, n := range lower(`SELECT first_name FROM users WHERE length(first_name) < 40 UNION SELECT last_name FROM users WHERE length(last_name) < 40
		UNION SELECT first_name FROM students WHERE length(first_name) < 40 UNION SELECT last_name FROM students WHERE length(last_name) < 40`) {
		for _, w := range regexp.MustCompile(`[\pL]+`).FindAllString(n, -1) {
			if len(w) >= 2 {
				p.names = append(p.names, w)
			}
		}
	}
	return p
}

// stagingStrings returns every string staging holds in a text-like column: text,
// array elements, and JSON walked to every key and string.
func stagingStrings(t *testing.T, pool *pgxpool.Pool) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, c := range textColumns(t, pool) {
		col := c.table + "." + c.column
		sql := fmt.Sprintf("SELECT %s::text FROM %s WHERE %[1]s IS NOT NULL", pgx.Identifier{c.column}.Sanitize(), pgx.Identifier{c.table}.Sanitize())
		if c.dataType == "ARRAY" {
			sql = fmt.Sprintf("SELECT e FROM %s, unnest(%s::text[]) e WHERE e IS NOT NULL", pgx.Identifier{c.table}.Sanitize(), pgx.Identifier{c.column}.Sanitize())
		}
		for _, v := range queryStrings(t, pool, sql) {
			if c.dataType == "json" || c.dataType == "jsonb" {
				var doc any
				dec := json.NewDecoder(strings.NewReader(v))
				dec.UseNumber()
				if err := dec.Decode(&doc); err != nil {
					t.Fatalf("%s: %v", col, err)
				}
				out[col] = append(out[col], jsonStrings(doc)...)
				continue
			}
			out[col] = append(out[col], v)
		}
	}
	return out
}

func jsonStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, jsonStrings(e)...)
		}
		return out
	case map[string]any:
		var out []string
		for k, e := range x {
			out = append(append(out, k), jsonStrings(e)...)
		}
		return out
	}
	return nil
}

// TestPlantedIdentitiesNeverReachStaging plants a production identity (name,
// email, phone, street, password hash, a body, her child's name) into every
// text-like and JSON column of every app table found in the catalog, runs a
// default import, and scans every string staging holds.
func TestPlantedIdentitiesNeverReachStaging(t *testing.T) {
	src := pgtest.NewPool(t, pgtest.NewDB(t))
	seed(t, src)
	filled := plant(t, src)
	for _, must := range []string{"messages.subject", "messages.tags", "users.preferences", "parental_letters.metadata",
		"parental_letters.title", "school_classes.name", "school_classes.room", "guardianships.relation", "attachments.filename",
		"attachments.mime_type", "users.locale", "school_classes.school_year"} {
		if !slices.Contains(filled, must) {
			t.Fatalf("the identity was not planted in %s (planted in %v)", must, filled)
		}
	}
	prod := collectProduction(t, src)
	dst := pgtest.NewPool(t, pgtest.NewDB(t))
	res, err := importDump(t, dst, export(t, src, true), anon(t))
	if err != nil {
		t.Fatal(err)
	}
	if res.LeakCheck == nil || res.LeakCheck.Found != 0 || res.LeakCheck.Columns < 10 || res.LeakCheck.Values == 0 {
		t.Errorf("leak check in the result: %+v", res.LeakCheck)
	}

	policy := anonymizer.DefaultPolicy()
	fakes := map[string]bool{}
	for _, n := range strings.Fields(strings.ToLower(strings.Join(anonymizer.FakeNames(), " "))) {
		fakes[n] = true
	}
	scanned := 0
	for col, values := range stagingStrings(t, dst) {
		table, column, _ := strings.Cut(col, ".")
		freeText := false
		if r := policy.Column(table, column); r != nil && (r.Reason == "text" || r.Reason == "json") {
			freeText = true
		}
		for _, v := range values {
			scanned++
			lv := strings.ToLower(v)
			digits := regexp.MustCompile(`\D`).ReplaceAllString(v, "")
			for kind, list := range map[string][]string{"email": prod.emails, "full name": prod.fullNames, "street": prod.streets, "body": prod.bodies} {
				for _, p := range list {
					if p != "" && strings.Contains(lv, p) {
						t.Errorf("%s holds the production %s %q: %q", col, kind, p, v)
					}
				}
			}
			for _, h := range prod.hashes {
				if strings.Contains(v, h) {
					t.Errorf("%s holds a production password hash: %q", col, v)
				}
			}
			for _, ph := range prod.phones {
				if strings.Contains(digits, ph) {
					t.Errorf("%s holds the production phone number %s: %q", col, ph, v)
				}
			}
			if !freeText {
				continue
			}
			for _, w := range regexp.MustCompile(`[\pL]+`).FindAllString(lv, -1) {
				if slices.Contains(prod.names, w) && !fakes[w] {
					t.Errorf("%s holds the production name %q, which is no fake name: %q", col, w, v)
				}
			}
		}
	}
	if scanned < 50 {
		t.Errorf("scanned %d strings, too few to mean anything", scanned)
	}

}

// TestUnclassifiedColumnFailsTheImport adds a column the data policy does not
// classify on both sides: an import refuses it by name and leaves staging as it
// was, whatever is switched off: a risk-acknowledged opt-out of one anonymizer,
// or of all of them, names what it switches off, and no anonymizer covers it.
func TestUnclassifiedColumnFailsTheImport(t *testing.T) {
	ctx := context.Background()
	src := pgtest.NewPool(t, pgtest.NewDB(t))
	dst := pgtest.NewPool(t, pgtest.NewDB(t))
	seed(t, src)
	if _, err := importDump(t, dst, export(t, src, false), anon(t, anonymizer.Keys...)); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*pgxpool.Pool{src, dst} {
		if _, err := p.Exec(ctx, "ALTER TABLE users ADD COLUMN nickname text"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := src.Exec(ctx, "UPDATE users SET nickname = 'Paula, paula.parent@example.org' WHERE id = 3"); err != nil {
		t.Fatal(err)
	}
	file := export(t, src, true)
	before := appChecksums(t, dst)
	for _, off := range [][]string{nil, {anonymizer.BirthDates}, anonymizer.Keys} {
		t.Run(fmt.Sprintf("off=%v", off), func(t *testing.T) {
			_, err := importDump(t, dst, file, anon(t, off...))
			var uc *anonymizer.UnclassifiedError
			if !errors.As(err, &uc) || !errors.Is(err, transfer.ErrBadDump) || !strings.Contains(err.Error(), "users.nickname") ||
				!strings.Contains(err.Error(), "anonymizer/policy.conf") {
				t.Fatalf("import with an unclassified column: got %v, want the column named and how to classify it", err)
			}
		})
		pgtest.ExpectUnchanged(t, dst, before, fmt.Sprintf("the refused import (%v switched off)", off))
	}
}

// TestLeakCheckRefusesWhatWouldRemain copies a production body into a kept column,
// where the replacement does not look for it (the body may come later in the
// dump): the leak check finds it, the import fails naming the column, and staging
// is unchanged. A password hash in a file name is replaced, and no finding.
func TestLeakCheckRefusesWhatWouldRemain(t *testing.T) {
	ctx := context.Background()
	src := pgtest.NewPool(t, pgtest.NewDB(t))
	dst := pgtest.NewPool(t, pgtest.NewDB(t))
	seed(t, src)
	if _, err := src.Exec(ctx, `
		UPDATE messages SET body = 'Liebe Eltern, der Elternabend am Dienstag fällt aus.' WHERE id = 2;
		UPDATE messages SET subject = 'Liebe Eltern, der Elternabend am Dienstag fällt aus.' WHERE id = 4;
		UPDATE attachments SET filename = (SELECT password_hash FROM users WHERE id = 2) WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := importDump(t, dst, export(t, src, true), anon(t, anonymizer.Keys...)); err != nil {
		t.Fatal(err)
	}
	before := appChecksums(t, dst)
	_, err := importDump(t, dst, export(t, src, true), anon(t))
	var le *transfer.LeakError
	if !errors.As(err, &le) || !errors.Is(err, transfer.ErrBadDump) {
		t.Fatalf("import: got %v, want a leak error", err)
	}
	if le.Check.Found != 1 {
		t.Errorf("findings: %+v, want the one body", le.Check.Findings)
	}
	for _, want := range []string{"messages.subject (1 body)", "Nothing was changed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "Elternabend") || strings.Contains(err.Error(), "$2a$") {
		t.Errorf("the error quotes a value: %v", err)
	}
	pgtest.ExpectUnchanged(t, dst, before, "the refused import")
}

// TestStagingBirthDateIgnoresTheRealDay changes a student's real birth date by a
// day within its school year: the date staging gets does not move, so it cannot
// be traced back to the real one with the salt. Moved into the next school year,
// the staging date follows into that year.
func TestStagingBirthDateIgnoresTheRealDay(t *testing.T) {
	ctx := context.Background()
	src := pgtest.NewPool(t, pgtest.NewDB(t))
	dst := pgtest.NewPool(t, pgtest.NewDB(t))
	seed(t, src)
	stagingDate := func(real string) string {
		t.Helper()
		var d string
		// A subtest each: its connections go back to the pools when it ends.
		t.Run(real, func(t *testing.T) {
			if _, err := src.Exec(ctx, "UPDATE students SET birth_date = $1 WHERE id = 1", real); err != nil {
				t.Fatal(err)
			}
			if _, err := importDump(t, dst, export(t, src, false), anon(t)); err != nil {
				t.Fatal(err)
			}
			if err := dst.QueryRow(ctx, "SELECT birth_date::text FROM students WHERE id = 1").Scan(&d); err != nil {
				t.Fatal(err)
			}
		})
		return d
	}
	first := stagingDate("2018-05-17")
	if next := stagingDate("2018-05-18"); next != first {
		t.Errorf("the real birth date moved by a day (2018-05-17 → 2018-05-18): staging's moved too, %s → %s", first, next)
	}
	if last := stagingDate("2017-08-01"); last != first {
		t.Errorf("the real birth date moved to the first day of its school year: staging's moved, %s → %s", first, last)
	}
	later := stagingDate("2018-08-01")
	if later < "2018-08-01" || later > "2019-07-31" {
		t.Errorf("born 2018-08-01, the next school year: staging says %s", later)
	}
}
