package object

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key   string
		valid bool
	}{
		{"a", true},
		{"imports/2026/11/abc.json.gz", true},
		{"with space/ümlaut+plus%percent", true},
		{"..a/b..", true},
		{strings.Repeat("k", MaxKeyLen), true},
		{"", false},
		{"/abs", false},
		{"../x", false},
		{"a/../b", false},
		{"a/..", false},
		{"./a", false},
		{"a//b", false},
		{"a/", false},
		{`a\b`, false},
		{"a\x00b", false},
		{"a\nb", false},
		{"a\x7fb", false},
		{"a\xffb", false},
		{strings.Repeat("k", MaxKeyLen+1), false},
	}
	for _, tt := range tests {
		err := ValidateKey(tt.key)
		if got := err == nil; got != tt.valid {
			t.Errorf("ValidateKey(%q) = %v, want valid %v", tt.key, err, tt.valid)
		}
		if err != nil && !errors.Is(err, ErrInvalidKey) {
			t.Errorf("ValidateKey(%q) = %v, want it to wrap ErrInvalidKey", tt.key, err)
		}
	}
}

func TestValidatePrefix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		prefix string
		valid  bool
	}{
		{"", true},
		{"imports/", true},
		{"imports/2026-1", true},
		{"a/b/", true},
		{"/", false},
		{"/abs/", false},
		{"../", false},
		{"a//", false},
		{"a\nb/", false},
	}
	for _, tt := range tests {
		err := ValidatePrefix(tt.prefix)
		if got := err == nil; got != tt.valid {
			t.Errorf("ValidatePrefix(%q) = %v, want valid %v", tt.prefix, err, tt.valid)
		}
		if err != nil && !errors.Is(err, ErrInvalidKey) {
			t.Errorf("ValidatePrefix(%q) = %v, want it to wrap ErrInvalidKey", tt.prefix, err)
		}
	}
}
