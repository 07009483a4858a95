package testdb

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wippidu/wippidu/schema"
)

// A planted production family: Jördis Weißenböck, a parent, with her children
// Jülide and Hans-Peter Straßburger; and a neighbour, Gernot Krause. Plant writes
// them into the people tables and their data, in every form people write it, into
// every text-like column of every app table: what a privacy test must never find
// on staging.
const (
	PlantedEmail = "joerdis.weissenboeck@example.org"
	PlantedPhone = "+49 171 9743602"
	PlantedHash  = "$2a$10$PLANTEDhashPLANTEDhashPLANTEDhashPLANTEDhashPLANTEDh"
	PlantedBody  = "Bitte entschuldigen Sie Jülides Fehlen am Montag, sie hatte Fieber und Husten."
)

// PlantedForms are the ways the family's data is written into text: genitives,
// names written joined, birth dates in many spellings, IBANs spaced and not, a
// street without its number, a postal code and city after a street, a person who
// is not in the database, an address written out, a phone number as digits alone.
var PlantedForms = []string{
	"Straßburgers Lebensgefährtin", "Jülides Zeugnis", "JoerdisWeissenboeck.pdf", "HansPeter", "Hans-Peter Straßburger",
	"geb. 01.09.2019", "Elisa Brandt, geb. 01.09.2019", "2011-08-20", "20.8.2011", "IMG_20190901.jpg", "1. September 2019",
	"DE89 3704 0044 0532 0130 00", "DE89370400440532013000", "Zwetschgenallee", "Zwetschgenallee 17, 10115 Berlin",
	"Oma Hildegard Krause", "xdyhxaq (at) gmail (dot) com", "Jördis Weißenböck <" + PlantedEmail + ">", "WEISSENBÖCK, Jördis",
	"Tel. " + PlantedPhone, "0171/9743602", "491719743602", "attest_juelide_strassburger.pdf", PlantedHash,
	"Krankmeldung Jülide", "gernot.krause@web.de",
}

// PlantedSecrets are what of the family must never reach staging, in Fold's
// spelling: found in a folded staging string, they are a leak.
var PlantedSecrets = []string{"jordis", "weisenbock", "strasburger", "julide", "hanspeter", "hans-peter", "hildegard", "xdyhxaq",
	"zwetschgenallee", "2011-08-20", "20.08.2011", "20.8.2011", "01.09.2019", "1.9.2019", "2019-09-01", "1. september 2019",
	"20190901", "20110820", "gernot krause", "plantedhash"}

// PlantedDigits are digit sequences of the family's phone number and IBAN: found
// among the digits of a staging string, they are a leak.
var PlantedDigits = []string{"1719743602", "370400440532013000"}

// PlantedPostalCode is the family's postal code, a leak wherever it stands alone.
const PlantedPostalCode = "10115"

// Plant adds the family to the people tables and writes PlantedForms into every
// text-like column of every app table (one row each), where the column's
// constraints let it. It returns the columns it filled.
func Plant(t testing.TB, pool *pgxpool.Pool) []string {
	t.Helper()
	ctx := context.Background()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO users (id, email, first_name, last_name, street, postal_code, city, phone, password_hash, role) VALUES
			(70, $1, 'Jördis', 'Weißenböck', 'Zwetschgenallee 17', '10115', 'Berlin', $2, $3, 'parent'),
			(71, 'gernot.krause@web.de', 'Gernot', 'Krause', 'Am Markt 3', '10117', 'Berlin', '0151 2345678', $3, 'parent')`,
			[]any{PlantedEmail, PlantedPhone, PlantedHash}},
		{`INSERT INTO students (id, first_name, last_name, birth_date) VALUES
			(70, 'Jülide', 'Straßburger', '2011-08-20'), (71, 'Hans-Peter', 'Straßburger', '2019-09-01')`, nil},
		{`INSERT INTO guardianships (parent_id, student_id, relation) VALUES (70, 70, 'mother'), (70, 71, 'mother')`, nil},
		{`INSERT INTO messages (sender_id, recipient_id, subject, body) VALUES (70, 2, 'Krankmeldung Jülide', $1)`, []any{PlantedBody}},
	} {
		if _, err := pool.Exec(ctx, q.sql, q.args...); err != nil {
			t.Fatalf("testdb: plant the family: %v", err)
		}
	}
	var filled []string
	for _, c := range TextColumns(t, pool) {
		sql := fmt.Sprintf(`UPDATE %s SET %s = $1 WHERE id = (SELECT min(id) FROM %[1]s WHERE id < 70)`,
			pgx.Identifier{c.Table}.Sanitize(), pgx.Identifier{c.Column}.Sanitize())
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { _, err := tx.Exec(ctx, sql, plantedValue(c)); return err })
		if err != nil {
			t.Logf("not planted in %s.%s: %v", c.Table, c.Column, err)
			continue
		}
		filled = append(filled, c.Table+"."+c.Column)
	}
	return filled
}

// plantedValue is what Plant writes into a column of c's type.
func plantedValue(c TextColumn) any {
	switch {
	case c.DataType == "json" || c.DataType == "jsonb":
		doc := map[string]any{
			"note": strings.Join(PlantedForms, " | "), "list": PlantedForms, PlantedEmail: true,
			"Weißenböck": map[string]any{"Jülide": true}, "Straßburgers Lebensgefährtin": "Oma Hildegard Krause",
			"phone": json.Number("491719743602"), "born": json.Number("20190901"),
			"contact": map[string]any{"name": "Jördis Weißenböck", "phone": PlantedPhone},
		}
		b, err := json.Marshal(doc)
		if err != nil {
			panic(err)
		}
		return string(b)
	case c.DataType == "ARRAY":
		return PlantedForms
	}
	return strings.Join(PlantedForms, " | ")
}

// TextColumn is an app column that can hold text, found in the catalog.
type TextColumn struct{ Table, Column, DataType, UDT string }

// TextColumns lists every column of every app table that can hold text: text,
// varchar, char, json, jsonb and arrays of them.
func TextColumns(t testing.TB, pool *pgxpool.Pool) []TextColumn {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		SELECT c.table_name, c.column_name, c.data_type, c.udt_name
		FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
		  AND c.table_name <> 'schema_migrations' AND c.table_name NOT LIKE 'river%'
		  AND coalesce(obj_description(format('%I', c.table_name)::regclass, 'pg_class'), '') NOT LIKE $1 || '%'
		  AND (c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')
		       OR (c.data_type = 'ARRAY' AND c.udt_name IN ('_text', '_varchar', '_bpchar', '_json', '_jsonb')))
		ORDER BY 1, 2`, schema.LocalMark)
	if err != nil {
		t.Fatal(err)
	}
	cols, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (TextColumn, error) {
		var c TextColumn
		err := row.Scan(&c.Table, &c.Column, &c.DataType, &c.UDT)
		return c, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return cols
}

// Fold spells s the way PlantedSecrets are spelled: lower case, umlauts and ß in
// one ASCII form ("Weißenböck", "Weissenboeck" and "WEISSENBOCK" are all
// "weisenbock").
func Fold(s string) string {
	s = strings.NewReplacer("ä", "a", "ö", "o", "ü", "u", "ß", "ss", "é", "e").Replace(strings.ToLower(s))
	return strings.NewReplacer("ae", "a", "oe", "o", "ue", "u", "ss", "s").Replace(s)
}
