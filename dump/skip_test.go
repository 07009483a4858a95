package dump

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
)

// TestSkipStringEndsAtTheClosingQuote: whatever quotes, backslashes and escapes
// a string holds, and wherever the lexer's buffer or the reads cut it, skipping
// it stops right after its closing quote, at the byte that follows.
func TestSkipStringEndsAtTheClosingQuote(t *testing.T) {
	alphabet := []string{"a", `"`, `\`, "\n", "é", "\u2028", `\u0022`}
	rng := rand.New(rand.NewPCG(1, 2))
	var cases []string
	for range 3000 {
		var b strings.Builder
		for range rng.IntN(14) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		cases = append(cases, b.String())
	}
	cases = append(cases, strings.Repeat(`\`, 9), strings.Repeat(`\"`, 7), strings.Repeat("b", 300))
	for _, s := range cases {
		lit, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, size := range []int{1, 2, 3, 5, 8, 64} {
			in := string(lit[1:]) + `,"next"`
			r := &lexer{zr: iotest.OneByteReader(strings.NewReader(in)), buf: make([]byte, size), where: func() string { return "test" }}
			if err := r.skipString(1 << 20); err != nil {
				t.Fatalf("%s (buffer %d): %v", lit, size, err)
			}
			if c, err := r.peek(); err != nil || c != ',' {
				t.Fatalf("%s (buffer %d): stopped before %q (%v), want the comma after it", lit, size, r.buf[r.pos:r.end], err)
			}
		}
	}
	r := &lexer{zr: strings.NewReader(`ab\"cd\\`), buf: make([]byte, 4), where: func() string { return "test" }}
	if err := r.skipString(1 << 20); err == nil || !strings.Contains(err.Error(), "end of file inside a string") {
		t.Errorf("unterminated string: got %v", err)
	}
	r = &lexer{zr: strings.NewReader(strings.Repeat("x", 100) + `"`), buf: make([]byte, 16), where: func() string { return "test" }}
	if err := r.skipString(99); !errors.Is(err, errTooLong) {
		t.Errorf("a 100-byte string with limit 99: got %v, want errTooLong", err)
	}
}
