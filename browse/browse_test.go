package browse_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/browse"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// fixtureReader is a Reader on a database holding the test fixture.
func fixtureReader(t *testing.T, cfg browse.Config) (*browse.Reader, *pgxpool.Pool) {
	t.Helper()
	pool := pgtest.NewPool(t, pgtest.NewDB(t))
	testdb.Fixture(t, pool)
	cfg.DB = pool
	r, err := browse.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r, pool
}

func read(t *testing.T, r *browse.Reader, q browse.Query) *browse.View {
	t.Helper()
	v, err := r.Read(context.Background(), q)
	if err != nil {
		t.Fatalf("read %+v: %v", q, err)
	}
	return v
}

// column returns the values of one column of a page, and the column.
func column(t *testing.T, p *browse.TablePage, name string) (browse.Column, []browse.Value) {
	t.Helper()
	i := slices.IndexFunc(p.Columns, func(c browse.Column) bool { return c.Name == name })
	if i < 0 {
		t.Fatalf("%s has no column %s", p.Name, name)
	}
	var out []browse.Value
	for _, row := range p.Rows {
		out = append(out, row[i])
	}
	return p.Columns[i], out
}

func TestReadShowsValuesAsPeopleSeeThem(t *testing.T) {
	t.Parallel()
	r, pool := fixtureReader(t, browse.Config{})
	long := strings.Repeat("ä", 300)
	if _, err := pool.Exec(context.Background(), `UPDATE messages SET body = $1 WHERE id = 2`, long); err != nil {
		t.Fatal(err)
	}

	users := read(t, r, browse.Query{Table: "users"}).Table
	if got, want := users.OrderBy, []string{"id"}; !slices.Equal(got, want) {
		t.Errorf("order: got %v, want %v", got, want)
	}
	_, ids := column(t, users, "id")
	var got []string
	for _, v := range ids {
		got = append(got, v.Text)
	}
	if want := []string{"1", "2", "3", "4", "5"}; !slices.Equal(got, want) {
		t.Errorf("ids: got %v, want %v", got, want)
	}
	_, street := column(t, users, "street")
	if !street[3].Null || street[1].Null || street[1].Text != "" {
		t.Errorf("NULL and empty street: got %+v and %+v, want NULL and empty", street[3], street[1])
	}
	_, first := column(t, users, "first_name")
	if got, want := first[4].Text, "Line␊Break"; got != want {
		t.Errorf("control character: got %q, want %q", got, want)
	}

	hash, hashes := column(t, users, "password_hash")
	if !hash.Secret {
		t.Errorf("password_hash: got %+v, want secret", hash)
	}
	for _, v := range hashes {
		if want := "$2a$10$" + v.Text[7:12] + "…"; !v.Truncated || v.Text != want {
			t.Errorf("password hash: got %q, want only its first %d characters", v.Text, browse.SecretRunes)
		}
	}

	body := read(t, r, browse.Query{Table: "messages"}).Table
	_, bodies := column(t, body, "body")
	if got := bodies[1]; !got.Truncated || got.Text != strings.Repeat("ä", browse.DefaultMaxValueRunes)+"…" {
		t.Errorf("long body: got %d runes, truncated %v", len([]rune(got.Text)), got.Truncated)
	}

	att := read(t, r, browse.Query{Table: "attachments"}).Table
	_, data := column(t, att, "data")
	want := []browse.Value{{Binary: true, Bytes: 256}, {Binary: true}, {Binary: true, Bytes: 3, MIME: "text/plain"}}
	if !slices.Equal(data, want) {
		t.Errorf("bytea: got %+v, want %+v", data, want)
	}
}

func TestReadCountsExactlyOnlyUpToTheLimit(t *testing.T) {
	t.Parallel()
	r, pool := fixtureReader(t, browse.Config{ExactCountLimit: 10})
	testdb.BulkMessages(t, pool, 200)
	counts := func() map[string]browse.Count {
		out := map[string]browse.Count{}
		for _, s := range read(t, r, browse.Query{}).Tables {
			out[s.Name] = s.Count
		}
		return out
	}
	c := counts()
	if got, want := c["users"], (browse.Count{Rows: 5, Kind: browse.CountExact}); got != want {
		t.Errorf("users: got %+v, want %+v", got, want)
	}
	if got := c["messages"]; got.Kind == browse.CountExact || got.Rows <= 10 {
		t.Errorf("messages before ANALYZE: got %+v, want an estimate above 10", got)
	}
	if _, err := pool.Exec(context.Background(), `ANALYZE messages`); err != nil {
		t.Fatal(err)
	}
	if got, want := counts()["messages"], (browse.Count{Rows: 204, Kind: browse.CountAbout}); got != want {
		t.Errorf("messages after ANALYZE: got %+v, want %+v", got, want)
	}
}

func TestReadShowsOnlyAppTables(t *testing.T) {
	t.Parallel()
	r, _ := fixtureReader(t, browse.Config{})
	var names []string
	for _, s := range read(t, r, browse.Query{}).Tables {
		names = append(names, s.Name)
	}
	want := []string{"users", "school_classes", "students", "guardianships", "messages", "parental_letters",
		"letter_acknowledgements", "attachments"}
	slices.Sort(want)
	got := slices.Sorted(slices.Values(names))
	if !slices.Equal(got, want) {
		t.Errorf("tables: got %v, want %v", got, want)
	}
	if names[0] != "users" {
		t.Errorf("order: got %v, want referenced tables first", names)
	}
	for _, name := range []string{"web_sessions", "import_export_audits", "schema_migrations", "river_job",
		"Users", `users"; DROP TABLE users; --`, "pg_authid"} {
		_, err := r.Read(context.Background(), browse.Query{Table: name})
		if wippidu.ErrorCode(err) != wippidu.ENOTFOUND {
			t.Errorf("table %q: got %v, want not found", name, err)
		}
	}
}

func TestReadPages(t *testing.T) {
	t.Parallel()
	r, _ := fixtureReader(t, browse.Config{PageRows: 2, MaxPage: 4})
	tests := []struct {
		page       int
		ids        []string
		prev, next int
	}{
		{0, []string{"1", "2"}, 0, 2},
		{1, []string{"1", "2"}, 0, 2},
		{2, []string{"3", "4"}, 1, 3},
		{3, []string{"5"}, 2, 0},
		{4, nil, 3, 0}, // past the end: empty, back to the last page
	}
	for _, tt := range tests {
		p := read(t, r, browse.Query{Table: "users", Page: tt.page}).Table
		_, vals := column(t, p, "id")
		var ids []string
		for _, v := range vals {
			ids = append(ids, v.Text)
		}
		if !slices.Equal(ids, tt.ids) || p.Prev != tt.prev || p.Next != tt.next {
			t.Errorf("page %d: got %v prev %d next %d, want %v prev %d next %d", tt.page, ids, p.Prev, p.Next, tt.ids, tt.prev, tt.next)
		}
	}
	for _, page := range []int{-1, 5, 1 << 40} {
		_, err := r.Read(context.Background(), browse.Query{Table: "users", Page: page})
		if wippidu.ErrorCode(err) != wippidu.EINVALID || !strings.Contains(err.Error(), "from 1 to 4") {
			t.Errorf("page %d: got %v, want refused", page, err)
		}
	}
}

func TestReadMarksWhatTheImportDid(t *testing.T) {
	t.Parallel()
	r, _ := fixtureReader(t, browse.Config{})
	v := read(t, r, browse.Query{Table: "users",
		Unscrubbed:         []wippidu.UnscrubbedColumn{{Column: "users.first_name", Why: "names switched off"}},
		AnonymizersSkipped: []string{"names"}})
	p := v.Table
	email, _ := column(t, p, "email")
	if email.Anonymizer != "emails" || email.Method != "staging_email" || !email.Personal() || email.Unscrubbed != "" {
		t.Errorf("email: got %+v", email)
	}
	first, _ := column(t, p, "first_name")
	if first.Unscrubbed != "names switched off" || !first.Personal() {
		t.Errorf("first_name: got %+v", first)
	}
	role, _ := column(t, p, "role")
	if role.Anonymizer != "" || role.Reason != "enum" || role.FreeText || role.Personal() {
		t.Errorf("role: got %+v", role)
	}
	prefs, _ := column(t, p, "preferences")
	if !prefs.FreeText || !slices.Equal(prefs.FreeTextKept, []string{"names"}) ||
		len(prefs.Keys) != 1 || prefs.Keys[0] != (browse.KeyRule{Path: "signature", Anonymizer: "bodies", Method: "scrubbed_text"}) {
		t.Errorf("preferences: got %+v", prefs)
	}
	i := slices.IndexFunc(v.Tables, func(s browse.TableSummary) bool { return s.Name == "users" })
	if got, want := v.Tables[i].Anonymizers, []string{"emails", "names", "contacts", "passwords", "bodies"}; !slices.Equal(got, want) {
		t.Errorf("users' anonymizers: got %v, want %v", got, want)
	}
	if got, want := v.Tables[i].Unscrubbed, []string{"first_name"}; !slices.Equal(got, want) {
		t.Errorf("users' unscrubbed: got %v, want %v", got, want)
	}
}

// TestReadGivesUpWhileAnImportHoldsTheTables: an import holds every app table
// locked until it commits; the reader says so instead of waiting.
func TestReadGivesUpWhileAnImportHoldsTheTables(t *testing.T) {
	t.Parallel()
	r, pool := fixtureReader(t, browse.Config{LockTimeout: 200 * time.Millisecond})
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `LOCK TABLE messages IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = r.Read(ctx, browse.Query{Table: "users"})
	if !errors.Is(err, browse.ErrBusy) {
		t.Errorf("got %v, want ErrBusy", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("waited %s for the lock", d)
	}
}
