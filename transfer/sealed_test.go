package transfer_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/sealed"
	"github.com/wippidu/wippidu/sealed/sealedtest"
	"github.com/wippidu/wippidu/transfer"
)

// ageKeys makes an age key pair: the recipients of its public key and the
// decrypter of its secret key.
func ageKeys(t *testing.T) (*sealed.Recipients, *sealed.Decrypter) {
	t.Helper()
	public, secret := sealedtest.KeyPair(t)
	r, err := sealed.ParseRecipients(public)
	if err != nil {
		t.Fatal(err)
	}
	d, err := sealed.NewDecrypter(secret)
	if err != nil {
		t.Fatal(err)
	}
	return r, d
}

func exportSealed(t *testing.T, pool *pgxpool.Pool, to *sealed.Recipients) ([]byte, *wippidu.ExportResult) {
	t.Helper()
	var buf bytes.Buffer
	res, err := transfer.Export(context.Background(), conn(t, pool), &buf, transfer.ExportOptions{
		SourceHost: "app.wippidu.net", IncludeAttachments: true, Recipients: to})
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	return buf.Bytes(), res
}

// importSealed imports file with dec and reports whether the import got as far
// as emptying staging's tables.
func importSealed(t *testing.T, pool *pgxpool.Pool, file []byte, dec *sealed.Decrypter) (truncated bool, err error) {
	t.Helper()
	_, err = transfer.Import(context.Background(), conn(t, pool), transfer.Bytes(file), transfer.ImportOptions{
		Anonymizer: anon(t, anonymizer.Keys...), Decrypter: dec,
		BeforeTruncate: func(context.Context, pgx.Tx) error { truncated = true; return nil },
	})
	return truncated, err
}

func TestEncryptedRoundTripIsExact(t *testing.T) {
	t.Parallel()
	src := pgtest.NewPool(t, pgtest.NewDB(t))
	dst := pgtest.NewPool(t, pgtest.NewDB(t))
	seed(t, src)
	to, dec := ageKeys(t)
	file, res := exportSealed(t, src, to)
	if !sealed.IsSealed(file) {
		t.Fatalf("export with recipients begins %q, want an age header", file[:min(len(file), 30)])
	}
	if res.EncryptedTo != 1 || res.Bytes != int64(len(file)) {
		t.Errorf("result: encrypted to %d keys, %d bytes; want 1 key, the file's %d bytes", res.EncryptedTo, res.Bytes, len(file))
	}
	if bytes.Contains(file, []byte("app.wippidu.net")) {
		t.Error("the encrypted file holds its source host in the clear")
	}
	if _, err := importSealed(t, dst, file, dec); err != nil {
		t.Fatalf("import: %v", err)
	}
	sameTables(t, appChecksums(t, src), appChecksums(t, dst))
}

func TestUnencryptedExportUnchanged(t *testing.T) {
	t.Parallel()
	src := pgtest.NewPool(t, pgtest.NewDB(t))
	seed(t, src)
	file, res := exportSealed(t, src, nil)
	if file[0] != 0x1f || file[1] != 0x8b || res.EncryptedTo != 0 {
		t.Fatalf("export without recipients: begins %x, encrypted to %d; want plain gzip", file[:2], res.EncryptedTo)
	}
	if !strings.Contains(string(gunzip(t, file)), `"source_host":"app.wippidu.net"`) {
		t.Error("the plain export does not read as a dump")
	}
	// A worker with a key still imports plain dumps.
	dst := pgtest.NewPool(t, pgtest.NewDB(t))
	_, dec := ageKeys(t)
	if _, err := importSealed(t, dst, file, dec); err != nil {
		t.Fatalf("plain import with IMPORT_IDENTITY set: %v", err)
	}
}

// TestEncryptedRefusalsChangeNothing imports encrypted dumps that cannot be read:
// each is refused with its message, as a bad dump (never retried), and staging
// keeps every row it had.
func TestEncryptedRefusalsChangeNothing(t *testing.T) {
	t.Parallel()
	src := pgtest.NewPool(t, pgtest.NewDB(t))
	dst := pgtest.NewPool(t, pgtest.NewDB(t))
	seed(t, src)
	to, dec := ageKeys(t)
	_, otherDec := ageKeys(t)
	small, _ := exportSealed(t, src, to)
	if _, err := importSealed(t, dst, small, dec); err != nil {
		t.Fatal(err)
	}
	before := pgtest.Checksums(t, dst)

	// A dump of several MiB, as production writes it: the people first, the
	// attachments last. A chunk altered near its end is met only by the load,
	// after staging's tables were emptied.
	if _, err := src.Exec(context.Background(), `INSERT INTO attachments (message_id, filename, mime_type, size_bytes, data)
		SELECT 1, 'big.bin', 'application/octet-stream', 4194304, decode(string_agg(md5(random()::text), ''), 'hex')
		FROM generate_series(1, 262144)`); err != nil {
		t.Fatal(err)
	}
	big, _ := exportSealed(t, src, to)
	flip := func(file []byte, at int) []byte {
		b := bytes.Clone(file)
		b[at] ^= 0x40
		return b
	}
	early := bytes.Index(small, []byte("\n--- ")) + 80 // the first chunk, after the header
	tests := []struct {
		name          string
		file          []byte
		dec           *sealed.Decrypter
		want          string
		truncatedMay  bool // the failure comes after the tables were emptied
		truncatedMust bool
	}{
		{"no identity", small, nil, wippidu.ErrDumpEncrypted.Message, false, false},
		{"wrong key", small, otherDec, wippidu.ErrWrongIdentity.Message, false, false},
		{"byte flipped early", flip(small, early), dec, "The encrypted dump is damaged or was altered: its data fails to authenticate", false, false},
		{"byte flipped late", flip(big, len(big)-(1<<20)), dec, "The encrypted dump is damaged or was altered: its data fails to authenticate", true, true},
		{"cut short", big[:len(big)-(1<<20)], dec, "The encrypted dump is damaged or was altered", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			truncated, err := importSealed(t, dst, tt.file, tt.dec)
			if err == nil {
				t.Fatal("import succeeded, want a refusal")
			}
			t.Logf("error: %v", err)
			if !errors.Is(err, transfer.ErrBadDump) {
				t.Errorf("got %v, want it marked as a bad dump (not retried)", err)
			}
			if !strings.HasPrefix(err.Error(), tt.want) || !strings.HasSuffix(err.Error(), "Nothing was changed.") {
				t.Errorf("got %q, want the message %q…", err.Error(), tt.want)
			}
			if truncated && !tt.truncatedMay || !truncated && tt.truncatedMust {
				t.Errorf("tables emptied before the refusal: %v, want %v", truncated, tt.truncatedMust)
			}
			pgtest.ExpectUnchanged(t, dst, before, "a refused encrypted dump")
		})
	}
}
