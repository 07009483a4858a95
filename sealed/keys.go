package sealed

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"filippo.io/age"
)

// Recipients are the age public keys exports are encrypted to (EXPORT_RECIPIENTS).
// A nil *Recipients encrypts nothing.
type Recipients struct {
	list []age.Recipient
}

// ParseRecipients reads EXPORT_RECIPIENTS: age public keys (age1…, or age1pq1…
// for post-quantum ones), separated by commas or white space. An empty s is nil,
// nil: exports stay unencrypted. The errors name the offending key, never a secret
// one pasted by mistake, and read after the variable's name ("EXPORT_RECIPIENTS
// holds …").
func ParseRecipients(s string) (*Recipients, error) {
	var r Recipients
	for _, f := range strings.FieldsFunc(s, func(c rune) bool { return c == ',' || c == ' ' || c == '\t' || c == '\n' }) {
		if strings.HasPrefix(strings.ToUpper(f), "AGE-SECRET-KEY-") {
			return nil, errors.New("holds a secret key (AGE-SECRET-KEY-…): production needs only public keys (age1…); keep the secret key on staging (IMPORT_IDENTITY)")
		}
		recs, err := age.ParseRecipients(strings.NewReader(f))
		if err != nil || len(recs) != 1 {
			return nil, fmt.Errorf("holds %q, which is not an age public key (age1…)", f)
		}
		r.list = append(r.list, recs[0])
	}
	if len(r.list) == 0 {
		return nil, nil
	}
	// age refuses some mixes of keys (post-quantum with classic ones) only when it
	// encrypts: find out now, not at the first export.
	if _, err := age.Encrypt(io.Discard, r.list...); err != nil {
		return nil, fmt.Errorf("holds keys that cannot be used together: %w", err)
	}
	return &r, nil
}

// Len is the number of keys a dump is encrypted to; 0 for nil.
func (r *Recipients) Len() int {
	if r == nil {
		return 0
	}
	return len(r.list)
}

// Encrypt returns a writer that encrypts what is written to it into dst, chunk by
// chunk, as it comes; Close writes the last chunk and must be called for the file
// to be complete (it does not close dst). A nil *Recipients returns dst as it is,
// with a Close that does nothing.
func (r *Recipients) Encrypt(dst io.Writer) (io.WriteCloser, error) {
	if r == nil {
		return nopCloser{dst}, nil
	}
	w, err := age.Encrypt(dst, r.list...)
	if err != nil {
		return nil, fmt.Errorf("encrypt dump: %w", err)
	}
	return w, nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// parseIdentity reads IMPORT_IDENTITY: age secret keys (AGE-SECRET-KEY-1…),
// separated by commas or white space, or the path of an age identity file (what
// age-keygen writes). A secret key never appears in an error; the errors read
// after the variable's name ("IMPORT_IDENTITY is …").
func parseIdentity(s string) ([]age.Identity, error) {
	s = strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(strings.ToUpper(s), "AGE-SECRET-KEY-"):
		text := strings.Join(strings.FieldsFunc(s, func(c rune) bool { return c == ',' || c == ' ' || c == '\t' || c == '\n' }), "\n")
		ids, err := age.ParseIdentities(strings.NewReader(text))
		if err != nil {
			return nil, errors.New("is not a valid age secret key (AGE-SECRET-KEY-1…)")
		}
		return ids, nil
	case strings.HasPrefix(s, "age1"):
		return nil, errors.New("is an age public key (age1…): staging needs the secret key of that key pair (AGE-SECRET-KEY-1…), or the path of its identity file")
	}
	f, err := os.Open(s)
	if err != nil {
		return nil, fmt.Errorf("is neither an age secret key (AGE-SECRET-KEY-1…) nor a readable identity file: %w", err)
	}
	defer f.Close()
	ids, err := age.ParseIdentities(f)
	if err != nil {
		return nil, fmt.Errorf("names the identity file %s, which holds no usable age identity: %w", s, err)
	}
	return ids, nil
}
