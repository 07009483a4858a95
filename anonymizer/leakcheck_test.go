package anonymizer_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/internal/testdb"
	"github.com/wippidu/wippidu/internal/testsalt"
	"github.com/wippidu/wippidu/transfer"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestLeakCheckRefusesWhatAFlawedAnonymizerLetsThrough imports the planted
// family (testdb.Plant: every form of their data in every text-like column) with
// an anonymizer that leaves one kind of replacement unmade, kind by kind: each
// time the leak check finds what came through, the import fails naming it, and
// staging is unchanged.
func TestLeakCheckRefusesWhatAFlawedAnonymizerLetsThrough(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := pgtest.NewPool(t, pgtest.NewDB(t))
	dst := pgtest.NewPool(t, pgtest.NewDB(t))
	testdb.Fixture(t, src)
	testdb.Plant(t, src)
	var file bytes.Buffer
	withConn(t, src, func(conn *pgxpool.Conn) {
		if _, err := transfer.Export(ctx, conn.Conn(), &file, transfer.ExportOptions{SourceHost: "app.wippidu.net", IncludeAttachments: true}); err != nil {
			t.Fatal(err)
		}
	})
	before := pgtest.Checksums(t, dst)
	for kind, found := range map[wippidu.ReplacedKind][]wippidu.LeakKind{
		anonymizer.ReplacedName:         {anonymizer.LeakFullName, anonymizer.LeakName},
		anonymizer.ReplacedEmail:        {anonymizer.LeakEmail},
		anonymizer.ReplacedPhone:        {anonymizer.LeakPhone},
		anonymizer.ReplacedStreet:       {anonymizer.LeakStreet},
		anonymizer.ReplacedPasswordHash: {anonymizer.LeakPasswordHash},
		anonymizer.ReplacedIBAN:         {anonymizer.LeakIBAN},
		anonymizer.ReplacedDate:         {anonymizer.LeakBirthDate},
		anonymizer.ReplacedDigits:       {anonymizer.LeakRareNumber},
		anonymizer.ReplacedWord:         {anonymizer.LeakRareWord},
		anonymizer.ReplacedShape:        {anonymizer.LeakShape},
	} {
		t.Run(string(kind), func(t *testing.T) {
			a, err := anonymizer.New(anonymizer.DefaultPolicy(), nil, testsalt.Salt)
			if err != nil {
				t.Fatal(err)
			}
			anonymizer.LetThrough(a, kind)
			var le *transfer.LeakError
			withConn(t, dst, func(conn *pgxpool.Conn) {
				_, err = transfer.Import(ctx, conn.Conn(), transfer.Bytes(file.Bytes()), transfer.ImportOptions{Anonymizer: a})
			})
			if !errors.As(err, &le) {
				t.Fatalf("import letting %s through: got %v, want the leak check's refusal", kind, err)
			}
			kinds := map[wippidu.LeakKind]int64{}
			for _, f := range le.Check.Findings {
				kinds[f.Kind] += f.Count
			}
			if !slices.ContainsFunc(found, func(k wippidu.LeakKind) bool { return kinds[k] > 0 }) {
				t.Errorf("letting %s through, the leak check found %v; want %v", kind, kinds, found)
			}
		})
	}
	pgtest.ExpectUnchanged(t, dst, before, "the refused imports")
}

// withConn runs fn with a connection of pool, released when fn returns.
func withConn(t *testing.T, pool *pgxpool.Pool, fn func(*pgxpool.Conn)) {
	t.Helper()
	conn, err := pool.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	fn(conn)
}
