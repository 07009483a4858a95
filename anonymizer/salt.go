package anonymizer

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// MinSaltBytes is the least key material ANONYMIZER_SALT must hold. The salt keys
// every fake name and birth date: whoever knows it can tell which fake belongs to
// which production row, so it must be as hard to guess as a key.
const MinSaltBytes = 32

// knownSalts are salts that have been published: in this repository's deploy
// files and scripts, in its tests, or as placeholders people copy.
var knownSalts = []string{"demo-salt", "change-me-staging-salt", "change-me", "changeme", "salt", "test-salt",
	"bench", "secret", "staging", "wippidu"}

// CheckSalt refuses a salt that is known, short, or too repetitive to be random:
// the error says what to set instead and never quotes the salt.
func CheckSalt(salt string) error {
	const how = "set ANONYMIZER_SALT to at least 32 random bytes of its own, e.g. the output of `openssl rand -hex 32`"
	s := strings.ToLower(strings.TrimSpace(salt))
	if s == "" {
		return fmt.Errorf("ANONYMIZER_SALT is empty: %s", how)
	}
	for _, k := range knownSalts {
		if s == k {
			return fmt.Errorf("ANONYMIZER_SALT is a published example value, which anyone can use to tell which fake belongs to which production row: %s", how)
		}
	}
	for _, marker := range []string{"change-me", "changeme", "change_me"} {
		if strings.Contains(s, marker) {
			return fmt.Errorf("ANONYMIZER_SALT is still the placeholder of an example file: %s", how)
		}
	}
	if n := saltBytes(strings.TrimSpace(salt)); n < MinSaltBytes {
		return fmt.Errorf("ANONYMIZER_SALT holds %d bytes of key material: %s", n, how)
	}
	distinct := map[rune]bool{}
	for _, r := range salt {
		distinct[r] = true
	}
	if len(distinct) < minSaltSymbols {
		return fmt.Errorf("ANONYMIZER_SALT repeats %d different characters, which no random salt does: %s", len(distinct), how)
	}
	return nil
}

// minSaltSymbols is the fewest different characters a salt may be written with:
// 64 random hex digits use fewer than 12 of their 16 with a chance below one in
// a million.
const minSaltSymbols = 12

// saltBytes is how many bytes of key material a salt holds: hex and base64 count
// what they encode, anything else its own bytes.
func saltBytes(s string) int {
	if b, err := hex.DecodeString(s); err == nil {
		return len(b)
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return len(b)
		}
	}
	return len(s)
}
