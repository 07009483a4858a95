package schema_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/schema"
)

// TestDataPolicyClassifiesEveryColumn fails, naming the column, as soon as a
// migration adds a column that anonymizer/policy.conf does not classify (or drops
// one it still names): deny by default starts at the schema.
func TestDataPolicyClassifiesEveryColumn(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t, pgtest.NewDB(t))
	ctx := context.Background()
	cat, err := schema.LoadCatalog(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	policy := anonymizer.DefaultPolicy()
	if gaps := policy.Unclassified(cat); len(gaps) > 0 {
		t.Errorf("the data policy does not classify %s: add a line for each to anonymizer/policy.conf "+
			"(\"keep <table>.<column> <reason>\" or \"<anonymizer> <table>.<column> <method>\"; see docs/data-policy.md)",
			strings.Join(gaps, ", "))
	}
	if stale := policy.Stale(cat); len(stale) > 0 {
		t.Errorf("anonymizer/policy.conf names %s, which the schema does not have", strings.Join(stale, ", "))
	}

	// What a migration adding a column without a policy line looks like to it.
	if _, err := pool.Exec(ctx, "ALTER TABLE messages ADD COLUMN mood text"); err != nil {
		t.Fatal(err)
	}
	if cat, err = schema.LoadCatalog(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if gaps := policy.Unclassified(cat); !slices.Equal(gaps, []string{"messages.mood"}) {
		t.Errorf("after adding messages.mood: unclassified %v, want [messages.mood]", gaps)
	}
}
