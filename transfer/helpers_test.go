package transfer_test

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/wippidu/wippidu/internal/testdb"
)

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// rewrite replaces one occurrence of old in a dump's JSON and gzips it again.
func rewrite(t *testing.T, file []byte, old, new string) []byte {
	t.Helper()
	s := string(gunzip(t, file))
	if !strings.Contains(s, old) {
		t.Fatalf("dump does not contain %q", old)
	}
	return testdb.Gzip(t, strings.Replace(s, old, new, 1))
}

// sameTables reports every table whose checksum differs from want's.
func sameTables(t *testing.T, want, got map[string]string) {
	t.Helper()
	for table, w := range want {
		if got[table] != w {
			t.Errorf("table %s: got checksum %s, want %s", table, got[table], w)
		}
	}
}
