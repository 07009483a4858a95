package anonymizer

import (
	"strconv"
	"strings"
	"testing"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/internal/testsalt"
	"github.com/wippidu/wippidu/schema"
)

// school is a small schema like the app's: people in users and students, linked by
// guardianships, referred to by messages.
func school() *schema.Catalog {
	col := func(names ...string) []schema.Column {
		var out []schema.Column
		for _, n := range names {
			typ := "text"
			switch n {
			case "id", "sender_id", "recipient_id", "parent_id", "student_id", "school_class_id", "teacher_id", "message_id", "parental_letter_id", "author_id", "grade", "size_bytes":
				typ = "bigint"
			case "preferences", "metadata":
				typ = "jsonb"
			case "tags":
				typ = "text[]"
			case "birth_date", "due_date":
				typ = "date"
			}
			out = append(out, schema.Column{Name: n, Type: typ})
		}
		return out
	}
	return schema.NewCatalog(
		&schema.Table{Name: "users", Columns: col("id", "email", "first_name", "last_name", "street", "postal_code", "city", "phone", "password_hash", "role", "locale", "preferences")},
		&schema.Table{Name: "school_classes", Columns: col("id", "name", "grade", "school_year", "teacher_id", "room"),
			ForeignKeys: []schema.ForeignKey{{Name: "c_teacher", RefTable: "users", Columns: []string{"teacher_id"}}}},
		&schema.Table{Name: "students", Columns: col("id", "first_name", "last_name", "birth_date", "notes"),
			ForeignKeys: []schema.ForeignKey{{Name: "students_class", RefTable: "school_classes", Columns: []string{"school_class_id"}}}},
		&schema.Table{Name: "guardianships", Columns: col("id", "parent_id", "student_id", "relation"),
			ForeignKeys: []schema.ForeignKey{{Name: "g_parent", RefTable: "users", Columns: []string{"parent_id"}}, {Name: "g_student", RefTable: "students", Columns: []string{"student_id"}}}},
		&schema.Table{Name: "messages", Columns: col("id", "sender_id", "recipient_id", "subject", "body", "tags"),
			ForeignKeys: []schema.ForeignKey{{Name: "m_sender", RefTable: "users", Columns: []string{"sender_id"}}, {Name: "m_recipient", RefTable: "users", Columns: []string{"recipient_id"}}}},
		&schema.Table{Name: "parental_letters", Columns: col("id", "author_id", "title", "body", "metadata"),
			ForeignKeys: []schema.ForeignKey{{Name: "l_author", RefTable: "users", Columns: []string{"author_id"}}}},
		&schema.Table{Name: "attachments", Columns: col("id", "message_id", "parental_letter_id", "filename", "mime_type", "size_bytes"),
			ForeignKeys: []schema.ForeignKey{{Name: "a_message", RefTable: "messages", Columns: []string{"message_id"}},
				{Name: "a_letter", RefTable: "parental_letters", Columns: []string{"parental_letter_id"}}}},
	)
}

// person is a row of users for newImport.
type testUser struct {
	id                                         int64
	email, first, last, street, phone, pwdHash string
}

// newImport prepares an anonymizer for school() with the given people read in,
// the way an import does before its first text. Students are (id, first, last,
// parent id).
func newImport(t *testing.T, off []string, users []testUser, students [][4]string) *Anonymizer {
	t.Helper()
	a, err := New(DefaultPolicy(), off, testsalt.Salt)
	if err != nil {
		t.Fatal(err)
	}
	sources := a.Prepare(school())
	us := sources["users"]
	for _, u := range users {
		vals := make([][]byte, len(us.Columns))
		for i, c := range us.Columns {
			switch c {
			case "id":
				vals[i] = []byte(strconv.FormatInt(u.id, 10))
			case "email":
				vals[i] = []byte(u.email)
			case "first_name":
				vals[i] = []byte(u.first)
			case "last_name":
				vals[i] = []byte(u.last)
			case "street":
				vals[i] = []byte(u.street)
			case "phone":
				vals[i] = []byte(u.phone)
			case "password_hash":
				vals[i] = []byte(u.pwdHash)
			}
		}
		us.Add(vals)
	}
	st, gs := sources["students"], sources["guardianships"]
	for _, s := range students {
		vals := make([][]byte, len(st.Columns))
		for i, c := range st.Columns {
			switch c {
			case "id":
				vals[i] = []byte(s[0])
			case "first_name":
				vals[i] = []byte(s[1])
			case "last_name":
				vals[i] = []byte(s[2])
			case "birth_date":
				if b, ok := testBirths[s[0]]; ok {
					vals[i] = []byte(b)
				}
			}
		}
		st.Add(vals)
		gs.Add([][]byte{[]byte(s[3]), []byte(s[0])})
	}
	a.Sealed()
	return a
}

// allow gives a the words of phrases as the dump's common tokens, as an export's
// census would.
func allow(t *testing.T, a *Anonymizer, phrases ...string) {
	t.Helper()
	var words []string
	for _, p := range phrases {
		b := []byte(p)
		for _, tok := range tokenize(nil, b) {
			words = append(words, string(canon(nil, b[tok.start:tok.end])))
		}
	}
	if err := a.UseCommonTokens(CommonWriters, words); err != nil {
		t.Fatal(err)
	}
}

// schoolWords are words the tests' texts share with many writers.
var schoolWords = []string{"Krankmeldung Gespräch mit Tel wohnt Mail und Ruf an oder attest pdf Zoo für Kinder Schöne Grüße von",
	"Frage zu den Hausaufgaben fehlt Treffen wichtig Quote Frau Dr signature contact name phone note ok Viele"}

func fakeOf(a *Anonymizer, table string, id int64) (string, string) {
	h := a.nameHash(Row{Table: table, ID: []byte(strconv.FormatInt(id, 10))})
	return fakeFirst(h), fakeLast(h)
}

var testUsers = []testUser{
	{id: 7, email: "Kunigunde.Unverwechselbar@Example.org", first: "Kunigunde", last: "Unverwechselbar",
		street: "Zwetschgenallee 17b, Hinterhaus", phone: "+49 170 5550001", pwdHash: "$2a$10$abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQ"},
	{id: 8, email: "lotte.mueller@example.org", first: "Lotte", last: "Müller", phone: "0221 / 12 34 56"},
	{id: 9, email: "t@example.org", first: "Lotte", last: "Schröder"},
}

// testBirths are the birth dates of testStudents, by id.
var testBirths = map[string]string{"21": "2011-08-20", "22": "2019-09-01"}

var testStudents = [][4]string{{"21", "Lotte", "Unverwechselbar", "7"}, {"22", "Ottokar", "Müller", "8"},
	{"23", "Jan-Ole", "zu Guttenberg", "9"}, {"24", "Ole", "Schulz-zu Guttenberg", "9"}}

func scrub(t *testing.T, a *Anonymizer, table, column string, row Row, text string) string {
	t.Helper()
	cat := school()
	plan, err := a.Plan(cat.Table(table), func(string) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range plan.Columns {
		if c.Name == column {
			row.Table = table
			out, err := c.Scrub(nil, []byte(text), &row)
			if err != nil {
				t.Fatalf("scrub %q: %v", text, err)
			}
			return string(out)
		}
	}
	t.Fatalf("no plan for %s.%s", table, column)
	return ""
}

func TestFreeTextGetsEachPersonsOwnFakeName(t *testing.T) {
	t.Parallel()
	a := newImport(t, nil, testUsers, testStudents)
	allow(t, a, schoolWords...)
	lotte21, _ := fakeOf(a, "students", 21)
	kuniFirst, kuniLast := fakeOf(a, "users", 7)
	lotte8, mueller8 := fakeOf(a, "users", 8)
	// A parent's message about "Lotte" is about the parent's own Lotte.
	fromKunigunde := Row{ID: []byte("100"), Refs: []Ref{{Column: "sender_id", People: 0, ID: 7}, {Column: "recipient_id", People: 0, ID: 9}}}
	fromLotte := Row{ID: []byte("101"), Refs: []Ref{{Column: "sender_id", People: 0, ID: 8}, {Column: "recipient_id", People: 0, ID: 9}}}
	for _, c := range []struct {
		row        Row
		in, want   string
		column     string
		table      string
		mustNotSee []string
	}{
		{fromKunigunde, "Krankmeldung Lotte", "Krankmeldung " + lotte21, "subject", "messages", nil},
		{fromLotte, "Krankmeldung Lotte", "Krankmeldung " + lotte8, "subject", "messages", nil},
		{fromKunigunde, "KRANKMELDUNG LOTTE", "KRANKMELDUNG " + strings.ToUpper(lotte21), "subject", "messages", nil},
		{fromKunigunde, "Gespräch mit Kunigunde Unverwechselbar, Tel +49 170 5550001",
			"Gespräch mit " + kuniFirst + " " + kuniLast + ", Tel ", "subject", "messages", nil},
		{fromKunigunde, "Unverwechselbar, Kunigunde wohnt Zwetschgenallee 17b.", kuniLast + ", " + kuniFirst + " wohnt .", "subject", "messages", nil},
		{fromKunigunde, "Mail: Kunigunde.Unverwechselbar@example.ORG und fremd@else.de", "Mail: user-7@staging.local und ", "subject", "messages", []string{"fremd@else.de"}},
		{fromLotte, "Ruf an: 0221/123456 oder (0221) 12 34 56", "Ruf an:  oder ", "subject", "messages", []string{"123456", "12 34 56"}},
		{fromLotte, "attest_lotte_mueller.pdf", "", "subject", "messages", []string{"lotte", "mueller"}},
		{fromLotte, "Zoo 2026-11-25, 12,50 € für 3 Kinder", "Zoo 2026-11-25, 12,50 € für 3 Kinder", "subject", "messages", nil},
	} {
		got := scrub(t, a, c.table, c.column, c.row, c.in)
		if c.want != "" && !strings.HasPrefix(got, c.want) {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
		for _, s := range c.mustNotSee {
			if strings.Contains(strings.ToLower(got), strings.ToLower(s)) {
				t.Errorf("%q: got %q, which still holds %q", c.in, got, s)
			}
		}
	}
	if got := scrub(t, a, "messages", "subject", fromLotte, "Schöne Grüße von Lotte Müller"); got != "Schöne Grüße von "+lotte8+" "+mueller8 {
		t.Errorf("full name: got %q", got)
	}
	// Names of several words are replaced whole, particles are no names.
	fromParent9 := Row{ID: []byte("102"), Refs: []Ref{{Column: "sender_id", People: 0, ID: 9}}}
	janOle, guttenberg := fakeOf(a, "students", 23)
	ole, _ := fakeOf(a, "students", 24)
	for in, want := range map[string]string{
		"Krankmeldung Jan-Ole":             "Krankmeldung " + janOle,
		"Krankmeldung Ole":                 "Krankmeldung " + ole,
		"Jan-Ole zu Guttenberg fehlt":      janOle + " " + guttenberg + " fehlt",
		"Frage zu den Hausaufgaben":        "Frage zu den Hausaufgaben",
		"Treffen von Jan-Ole und Ole, 5 €": "Treffen von " + janOle + " und " + ole + ", 5 €",
	} {
		if got := scrub(t, a, "messages", "subject", fromParent9, in); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

// TestStructuredColumnsKeepOnlyTheirShape: a kept column that is not free text
// keeps a value of its reason's shape, and replaces anything else, or a value
// that names one of the dump's people.
func TestStructuredColumnsKeepOnlyTheirShape(t *testing.T) {
	t.Parallel()
	// "Admin" is a last name here; users.role says admin and must stay admin.
	users := append(testUsers[:1:1], testUser{id: 1, email: "a@b.de", first: "Ada", last: "Admin"},
		testUser{id: 2, email: "j@b.de", first: "Jördis", last: "Weißenböck"})
	a := newImport(t, nil, users, nil)
	row := Row{ID: []byte("1")}
	plans := map[string]*Column{}
	for _, c := range []struct{ table, column, in, want string }{
		{"users", "role", "admin", "admin"},
		{"users", "locale", "de-AT", "de-AT"},
		{"users", "locale", "de", "de"},
		{"users", "locale", "de kunigunde.unverwechselbar@example.org", "und"},
		{"users", "locale", "de-Weißenböck", "de"},
		{"users", "locale", "de-Weissenb", "de"},
		{"attachments", "mime_type", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"attachments", "mime_type", "image/weissenboeck", "application/octet-stream"},
		{"attachments", "mime_type", "Jördis Weißenböck", "application/octet-stream"},
		{"school_classes", "school_year", "2026/27", "2026/27"},
		{"school_classes", "school_year", "Weissenboeck", "2026/27"},
		{"school_classes", "school_year", "Joerdis", "2026/27"},
		{"school_classes", "school_year", "+49 170 5550001", "2026/27"},
	} {
		// One plan per column, as an import has: a code without its shape
		// becomes the column's first value that had it.
		key := c.table + "." + c.column
		if plans[key] == nil {
			plans[key] = a.plan(t, c.table, c.column)
		}
		out, err := plans[key].Scrub(nil, []byte(c.in), &Row{Table: c.table, ID: row.ID})
		if got := string(out); err != nil || got != c.want {
			t.Errorf("%s %q: got %q (%v), want %q", key, c.in, got, err, c.want)
		}
	}
	if lc := a.LeakCheck(); lc.Found != 0 {
		t.Errorf("leak check: %+v", lc.Findings)
	}
}

func TestArraysAndJSONAreScrubbedInside(t *testing.T) {
	t.Parallel()
	a := newImport(t, nil, testUsers, testStudents)
	allow(t, a, schoolWords...)
	row := Row{ID: []byte("100"), Refs: []Ref{{People: 0, ID: 8}}}
	if got := scrub(t, a, "messages", "tags", row, `{wichtig,"lotte.mueller@example.org",NULL,"mit \"Quote\""}`); got != `{"wichtig","user-8@staging.local",NULL,"mit \"Quote\""}` {
		t.Errorf("tags: got %s", got)
	}
	doc := `{"signature": "Viele Grüße\nKunigunde Unverwechselbar", "contact": [{"name": "Frau Dr. Weiß", "phone": "0221 98765"}], "note": "Tel. +49 170 5550001", "n": 1e400, "ok": [true, null]}`
	got := scrub(t, a, "users", "preferences", Row{ID: []byte("7")}, doc)
	for _, bad := range []string{"Unverwechselbar", "5550001", "Viele Grüße"} {
		if strings.Contains(got, bad) {
			t.Errorf("preferences still hold %q: %s", bad, got)
		}
	}
	if !strings.Contains(got, `"signature":"[scrubbed for staging]"`) || !strings.Contains(got, `"n":1e400`) || !strings.Contains(got, `"ok":[true,null]`) ||
		!strings.Contains(got, `"Frau Dr. `) {
		t.Errorf("preferences: got %s", got)
	}
	letter := scrub(t, a, "parental_letters", "metadata", Row{ID: []byte("3")}, `{"contact": {"name": "Frau Dr. Weiß", "phone": "0221 98765"}}`)
	if strings.Contains(letter, "Weiß") || strings.Contains(letter, "98765") || !strings.Contains(letter, `"phone":null`) {
		t.Errorf("letter contact: got %s", letter)
	}
	if _, err := a.plan(t, "parental_letters", "metadata").Scrub(nil, []byte(`{"a": `), &Row{Table: "parental_letters"}); err == nil {
		t.Error("broken JSON was accepted")
	}
}

// plan returns the plan of one column.
func (a *Anonymizer) plan(t *testing.T, table, column string) *Column {
	t.Helper()
	p, err := a.Plan(school().Table(table), func(string) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	for i := range p.Columns {
		if p.Columns[i].Name == column {
			return &p.Columns[i]
		}
	}
	t.Fatalf("no plan for %s.%s", table, column)
	return nil
}

func TestSwitchedOffReplacementsStayAndAreFound(t *testing.T) {
	t.Parallel()
	a := newImport(t, []string{Names, Emails}, testUsers, testStudents)
	text := "Kunigunde Unverwechselbar <kunigunde.unverwechselbar@example.org>, +49 170 5550001"
	got := scrub(t, a, "messages", "subject", Row{ID: []byte("1")}, text)
	if got != "Kunigunde Unverwechselbar <kunigunde.unverwechselbar@example.org>, " {
		t.Errorf("names and emails off, contacts on: got %q", got)
	}
	lc := a.LeakCheck()
	found := map[wippidu.LeakKind]int64{}
	for _, f := range lc.Findings {
		found[f.Kind] += f.Count
	}
	if found[LeakFullName] != 1 || found[LeakEmail] != 1 || found[LeakPhone] != 0 || len(found) != 2 {
		t.Errorf("leak check after an opt-out: %+v", lc)
	}
}

func TestLeakCheckIgnoresFakeNamesAndFindsCopies(t *testing.T) {
	t.Parallel()
	body := "Liebe Eltern, morgen fällt der Unterricht in der 3a aus, weil"
	// Passwords switched off: a production hash loaded as it is, is found.
	a := newImport(t, []string{Passwords}, testUsers, testStudents)
	allow(t, a, body)
	// A body goes through its column's method, and a copy of it through a kept one.
	bodies := a.plan(t, "messages", "body")
	if _, _, err := bodies.Replace(nil, &Row{Table: "messages", ID: []byte("1"), Value: []byte(body)[:bodyPrefixBytes]}); err != nil {
		t.Fatal(err)
	}
	scrub(t, a, "messages", "subject", Row{ID: []byte("2")}, body)
	scrub(t, a, "messages", "subject", Row{ID: []byte("3")}, "Kunigunde Unverwechselbar")
	a.plan(t, "users", "password_hash").Check([]byte(testUsers[0].pwdHash))
	lc := a.LeakCheck()
	if lc.Found != 2 || len(lc.Findings) != 2 {
		t.Fatalf("leak check: got %+v, want the body copy and the hash", lc)
	}
	for _, f := range lc.Findings {
		if !(f.Column == "messages.subject" && f.Kind == LeakBody) && !(f.Column == "users.password_hash" && f.Kind == LeakPasswordHash) {
			t.Errorf("finding %+v", f)
		}
	}
}
