package demodata

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// maxPasswordPool is how many distinct password hashes the users share at most. A
// bcrypt hash costs tens of milliseconds, so hashing one per user would take hours.
const maxPasswordPool = 16

// hashed remembers, for the life of the process, the hash made of each admin
// password (string → *hashOnce): another run (the tests, the bench), even one
// running at the same time, reuses it instead of paying bcrypt's cost again.
var hashed sync.Map

// hashOnce is one password's hash, made by the first run that needs it; the
// others wait for it.
type hashOnce struct {
	once sync.Once
	hash string
	err  error
}

// hash returns the bcrypt hash of pw, made once per process.
func hash(pw string) (string, error) {
	v, _ := hashed.LoadOrStore(pw, &hashOnce{})
	h := v.(*hashOnce)
	h.once.Do(func() {
		b, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
		h.hash, h.err = string(b), err
	})
	return h.hash, h.err
}

// passwordPoolSize is the pool for a number of users: small databases need fewer.
func passwordPoolSize(users int) int { return min(maxPasswordPool, (users+7)/8) }

// passwordHashes holds the admin's hash and a pool of hashes of random passwords.
type passwordHashes struct {
	admin string
	pool  []string
}

// poolPasswords are the passwords behind poolHashes: random, the same for every
// seed, and never typed by anybody.
func poolPasswords() []string {
	r := newRand(0, streamPasswords)
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!$%&?"
	plain := make([]string, maxPasswordPool)
	for i := range plain {
		b := make([]byte, 10+r.IntN(8))
		for j := range b {
			b[j] = alphabet[r.IntN(len(alphabet))]
		}
		plain[i] = string(b)
	}
	return plain
}

// hashPasswords hashes the admin password and takes the users' pool from
// poolHashes, which were hashed once when the pool was chosen: the pool's
// passwords are the same for every seed, so hashing them again on every run (16
// bcrypt hashes at cost 10) would only cost time.
func hashPasswords(ctx context.Context, users int, adminPassword string) (*passwordHashes, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	admin, err := hash(adminPassword)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	return &passwordHashes{admin: admin, pool: poolHashes[:passwordPoolSize(users)]}, nil
}
