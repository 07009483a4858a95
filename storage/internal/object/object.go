// Package object holds what every storage backend shares: the description of a
// stored object, the rules a key must follow and the reader that stops a Put
// when its context is done.
//
// It exists so that package storage can import its backends (to open one from a
// URL) while the backends still return the same Object type and reject the same
// keys. Code outside storage uses the aliases storage.Object and
// storage.ErrInvalidKey instead.
package object

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxKeyLen is the longest key in bytes, the limit S3 puts on object keys.
const MaxKeyLen = 1024

// ErrInvalidKey is wrapped by every error about a key that breaks the rules of
// ValidateKey.
var ErrInvalidKey = errors.New("invalid storage key")

// Info describes a stored object.
type Info struct {
	Key     string
	Size    int64
	ModTime time.Time
}

// ValidateKey reports whether key is a relative, slash-separated path that means
// the same thing on every backend: not empty, at most MaxKeyLen bytes of valid
// UTF-8, no leading slash, no empty, "." or ".." segment, no backslash and no
// control character. The error wraps ErrInvalidKey.
func ValidateKey(key string) error {
	if reason := keyProblem(key); reason != "" {
		return fmt.Errorf("key %q %s: %w", key, reason, ErrInvalidKey)
	}
	return nil
}

// ValidatePrefix reports whether prefix can select keys in a listing: it is
// empty, or it is a valid key, or a valid key followed by one slash. The last
// segment may be partial ("imports/2026-1" selects "imports/2026-11/a").
// The error wraps ErrInvalidKey.
func ValidatePrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if reason := keyProblem(strings.TrimSuffix(prefix, "/")); reason != "" {
		return fmt.Errorf("prefix %q %s: %w", prefix, reason, ErrInvalidKey)
	}
	return nil
}

// keyProblem returns why key is invalid, or "" when it is valid.
func keyProblem(key string) string {
	switch {
	case key == "":
		return "is empty"
	case len(key) > MaxKeyLen:
		return fmt.Sprintf("is longer than %d bytes", MaxKeyLen)
	case !utf8.ValidString(key):
		return "is not valid UTF-8"
	case strings.HasPrefix(key, "/"):
		return "is absolute"
	case strings.Contains(key, `\`):
		return "contains a backslash"
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f {
			return "contains a control character"
		}
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch seg {
		case "":
			return "has an empty segment"
		case ".", "..":
			return fmt.Sprintf("has a %q segment", seg)
		}
	}
	return ""
}
