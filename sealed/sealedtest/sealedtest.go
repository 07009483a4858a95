// Package sealedtest makes age keys and encrypted dumps for tests of the packages
// that read or write them.
package sealedtest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"filippo.io/age"

	"github.com/wippidu/wippidu/sealed"
)

// KeyPair makes a fresh age key pair: the public key (age1…, for
// EXPORT_RECIPIENTS) and the secret key (AGE-SECRET-KEY-1…, for IMPORT_IDENTITY).
func KeyPair(t testing.TB) (public, secret string) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id.Recipient().String(), id.String()
}

// KeyFile makes a fresh key pair and writes its secret key to an identity file as
// age-keygen does; it returns the public key and the file's path.
func KeyFile(t testing.TB) (public, path string) {
	t.Helper()
	public, secret := KeyPair(t)
	path = filepath.Join(t.TempDir(), "staging.agekey")
	if err := os.WriteFile(path, []byte("# public key: "+public+"\n"+secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return public, path
}

// Seal encrypts plain to the public keys in recipients (comma-separated).
func Seal(t testing.TB, recipients string, plain []byte) []byte {
	t.Helper()
	r, err := sealed.ParseRecipients(recipients)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := r.Encrypt(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
