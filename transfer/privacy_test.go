package transfer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/internal/testdb"
	"github.com/wippidu/wippidu/transfer"
)

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
// array elements, and JSON walked to every key, string and number.
func stagingStrings(t *testing.T, pool *pgxpool.Pool) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, c := range testdb.TextColumns(t, pool) {
		col := c.Table + "." + c.Column
		sql := fmt.Sprintf("SELECT %s::text FROM %s WHERE %[1]s IS NOT NULL", pgx.Identifier{c.Column}.Sanitize(), pgx.Identifier{c.Table}.Sanitize())
		if c.DataType == "ARRAY" {
			sql = fmt.Sprintf("SELECT e FROM %s, unnest(%s::text[]) e WHERE e IS NOT NULL", pgx.Identifier{c.Table}.Sanitize(), pgx.Identifier{c.Column}.Sanitize())
		}
		for _, v := range queryStrings(t, pool, sql) {
			if c.DataType == "json" || c.DataType == "jsonb" {
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
	case json.Number:
		return []string{x.String()}
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

// TestPlantedIdentitiesNeverReachStaging plants a production family in every form
// people write personal data (testdb.PlantedForms: genitives, names written
// joined, birth dates in many spellings, IBANs, a street without its number, a
// person who is not in the database, an address written out, a phone number as a
// JSON number, a name as a JSON key, a name in a locale and a MIME type) into
// every text-like and JSON column of every app table found in the catalog, runs a
// default import, and scans every string staging holds, JSON walked to every key,
// string and number.
func TestPlantedIdentitiesNeverReachStaging(t *testing.T) {
	t.Parallel()
	src := pgtest.NewPool(t, pgtest.NewDB(t))
	seed(t, src)
	filled := testdb.Plant(t, src)
	for _, must := range []string{"messages.subject", "messages.tags", "users.preferences", "parental_letters.metadata",
		"parental_letters.title", "school_classes.name", "school_classes.room", "guardianships.relation", "attachments.filename",
		"attachments.mime_type", "users.locale", "school_classes.school_year"} {
		if !slices.Contains(filled, must) {
			t.Fatalf("the forms were not planted in %s (planted in %v)", must, filled)
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
	replaced := map[wippidu.ReplacedKind]int64{}
	for _, r := range res.LeakCheck.Replaced {
		replaced[r.Kind] += r.Count
	}
	for _, k := range []wippidu.ReplacedKind{anonymizer.ReplacedName, anonymizer.ReplacedEmail, anonymizer.ReplacedPhone, anonymizer.ReplacedIBAN,
		anonymizer.ReplacedDate, anonymizer.ReplacedDigits, anonymizer.ReplacedWord, anonymizer.ReplacedShape, anonymizer.ReplacedStreet} {
		if replaced[k] == 0 {
			t.Errorf("the result counts no %s replaced: %+v", k, res.LeakCheck.Replaced)
		}
	}
	scanned := 0
	for col, values := range stagingStrings(t, dst) {
		for _, v := range values {
			scanned++
			for _, leak := range productionIn(prod, col, v) {
				t.Errorf("%s holds %s: %q", col, leak, v)
			}
		}
	}
	if scanned < 50 {
		t.Errorf("scanned %d strings, too few to mean anything", scanned)
	}
}

// productionIn lists the production values found in v, a string staging holds in
// column col: the planted family's in any spelling, and every value of the
// source's personal columns.
func productionIn(prod productionValues, col, v string) []string {
	var out []string
	folded, lower := testdb.Fold(v), strings.ToLower(v)
	digits := regexp.MustCompile(`\D`).ReplaceAllString(v, "")
	for _, s := range testdb.PlantedSecrets {
		if strings.Contains(folded, s) || strings.Contains(lower, s) {
			out = append(out, "the planted "+strconv.Quote(s))
		}
	}
	for _, d := range testdb.PlantedDigits {
		if strings.Contains(digits, d) {
			out = append(out, "the planted digits "+d)
		}
	}
	if regexp.MustCompile(`(^|\D)` + testdb.PlantedPostalCode + `(\D|$)`).MatchString(v) {
		out = append(out, "the planted postal code")
	}
	for kind, list := range map[string][]string{"email": prod.emails, "full name": prod.fullNames, "street": prod.streets, "body": prod.bodies} {
		for _, p := range list {
			if p != "" && strings.Contains(lower, p) {
				out = append(out, "the production "+kind+" "+strconv.Quote(p))
			}
		}
	}
	for _, h := range prod.hashes {
		if strings.Contains(v, h) {
			out = append(out, "a production password hash")
		}
	}
	for _, ph := range prod.phones {
		if strings.Contains(digits, ph) {
			out = append(out, "the production phone number "+ph)
		}
	}
	table, column, _ := strings.Cut(col, ".")
	if r := anonymizer.DefaultPolicy().Column(table, column); r == nil || (r.Reason != "text" && r.Reason != "json") {
		return out
	}
	for _, w := range regexp.MustCompile(`[\pL]+`).FindAllString(lower, -1) {
		if slices.Contains(prod.names, w) && !fakeNames[w] {
			out = append(out, "the production name "+strconv.Quote(w)+", which is no fake name")
		}
	}
	return out
}

// fakeNames are the names the names anonymizer gives, lower-cased.
var fakeNames = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range anonymizer.FakeNames() {
		m[strings.ToLower(n)] = true
	}
	return m
}()

// TestUnclassifiedColumnFailsTheImport adds a column the data policy does not
// classify on both sides: an import refuses it by name and leaves staging as it
// was, whatever is switched off: a risk-acknowledged opt-out of one anonymizer,
// or of all of them, names what it switches off, and no anonymizer covers it.
func TestUnclassifiedColumnFailsTheImport(t *testing.T) {
	t.Parallel()
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
// dump), in the messages of five people, so that its words are common and the
// allow-list lets them through: the leak check finds it, the import fails naming
// the column, and staging is unchanged. A password hash in a file name is
// replaced, and no finding.
func TestLeakCheckRefusesWhatWouldRemain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := pgtest.NewPool(t, pgtest.NewDB(t))
	dst := pgtest.NewPool(t, pgtest.NewDB(t))
	seed(t, src)
	if _, err := src.Exec(ctx, `
		UPDATE messages SET body = 'Liebe Eltern, der Elternabend am Dienstag fällt aus.' WHERE id = 2;
		INSERT INTO messages (sender_id, recipient_id, subject, body)
			SELECT u, 2, 'Liebe Eltern, der Elternabend am Dienstag fällt aus.', '' FROM generate_series(1, 5) u;
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
	if le.Check.Found != 5 {
		t.Errorf("findings: %+v, want the five copies of the body", le.Check.Findings)
	}
	for _, want := range []string{"messages.subject (5 body)", "Nothing was changed"} {
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
	t.Parallel()
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
