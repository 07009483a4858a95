package demodata

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/sync/errgroup"
)

// maxPasswordPool is how many distinct password hashes the users share at most. A
// bcrypt hash costs tens of milliseconds, so hashing one per user would take hours.
const maxPasswordPool = 16

// hashed remembers, for the life of the process, the hash made of each password
// (string → *hashOnce): another run (the tests, the bench), even one running at
// the same time, reuses the pool instead of paying bcrypt's cost again.
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

// hashPasswords hashes the admin password and a pool of random ones on all cores.
// The pool's passwords are the same for every seed: nobody ever types them, and
// every run in a process then shares their hashes.
func hashPasswords(ctx context.Context, users int, adminPassword string) (*passwordHashes, error) {
	r := newRand(0, streamPasswords)
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!$%&?"
	plain := make([]string, passwordPoolSize(users)+1)
	plain[0] = adminPassword
	for i := 1; i < len(plain); i++ {
		b := make([]byte, 10+r.IntN(8))
		for j := range b {
			b[j] = alphabet[r.IntN(len(alphabet))]
		}
		plain[i] = string(b)
	}

	hashes := make([]string, len(plain))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, pw := range plain {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			h, err := hash(pw)
			if err != nil {
				return fmt.Errorf("hash password: %w", err)
			}
			hashes[i] = h
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return &passwordHashes{admin: hashes[0], pool: hashes[1:]}, nil
}
