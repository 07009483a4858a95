package web

import (
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// TestDummyHashCostsWhatARealOneDoes: the hash compared for an unknown email is a
// valid bcrypt hash at the cost real passwords get, so that a login for an
// unknown email takes as long as one for a known email.
func TestDummyHashCostsWhatARealOneDoes(t *testing.T) {
	t.Parallel()
	if cost, err := bcrypt.Cost(dummyHash); err != nil || cost != bcrypt.DefaultCost {
		t.Fatalf("dummy hash: cost %d, %v; want %d", cost, err, bcrypt.DefaultCost)
	}
	if err := bcrypt.CompareHashAndPassword(dummyHash, []byte("no such user")); err != nil {
		t.Errorf("dummy hash: %v", err)
	}
}
