// Package testsalt gives tests an ANONYMIZER_SALT that wippidu accepts: 32 random
// bytes, hex-encoded, drawn anew by every test process. No usable salt is written
// down anywhere, not even for tests.
package testsalt

import (
	"crypto/rand"
	"encoding/hex"
)

// Salt is the salt of this test process.
var Salt = New()

// Other is a second salt of this test process, for tests that compare two.
var Other = New()

// New returns a fresh salt.
func New() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("testsalt: " + err.Error())
	}
	return hex.EncodeToString(b)
}
