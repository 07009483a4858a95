package demodata

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

var updatePool = flag.Bool("update-pool", false, "hash the password pool again and write pool_hashes.go")

// TestPasswordPool checks the pool's stored hashes: one for each of its
// passwords, distinct, bcrypt at cost 10, and two of them, picked at random on
// each run, verified against their passwords (checking all 16 would cost as much
// as the hashing the stored pool saves).
func TestPasswordPool(t *testing.T) {
	plain := poolPasswords()
	if *updatePool {
		writePool(t, plain)
	}
	seen := map[string]bool{}
	for i, h := range poolHashes {
		if cost, err := bcrypt.Cost([]byte(h)); err != nil || cost != bcrypt.DefaultCost {
			t.Errorf("pool hash %d: cost %d, %v; want %d", i, cost, err, bcrypt.DefaultCost)
		}
		if seen[h] {
			t.Errorf("pool hash %d is there twice", i)
		}
		seen[h] = true
	}
	for _, i := range rand.Perm(len(plain))[:2] {
		if err := bcrypt.CompareHashAndPassword([]byte(poolHashes[i]), []byte(plain[i])); err != nil {
			t.Errorf("pool hash %d is not the hash of pool password %d: %v (run with -update-pool)", i, i, err)
		}
	}
}

func writePool(t *testing.T, plain []string) {
	t.Helper()
	var b strings.Builder
	b.WriteString(`package demodata

// poolHashes are the bcrypt hashes, at cost 10, of poolPasswords, in order.
// TestPasswordPool checks them; ` + "`go test ./demodata -run TestPasswordPool\n// -update-pool`" + ` writes this file again after a change to the pool.
var poolHashes = [maxPasswordPool]string{
`)
	for _, pw := range plain {
		h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "\t%q,\n", h)
	}
	b.WriteString("}\n")
	if err := os.WriteFile("pool_hashes.go", []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Fatal("pool_hashes.go written: run the test again to check it")
}
