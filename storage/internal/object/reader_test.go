package object

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestContextReader(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	src := strings.NewReader("abcdef")
	r := ContextReader(ctx, src)
	buf := make([]byte, 3)
	if n, err := r.Read(buf); n != 3 || err != nil || string(buf) != "abc" {
		t.Fatalf("Read before cancel = %d, %v (%q), want 3, nil (\"abc\")", n, err, buf[:n])
	}
	cancel()
	if n, err := r.Read(buf); n != 0 || !errors.Is(err, context.Canceled) {
		t.Fatalf("Read after cancel = %d, %v, want 0, context.Canceled", n, err)
	}
	if rest, _ := io.ReadAll(src); string(rest) != "def" {
		t.Errorf("source was read after cancel: %q left, want \"def\"", rest)
	}
}
