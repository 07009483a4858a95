package sealed_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/sealed"
	"github.com/wippidu/wippidu/sealed/sealedtest"
)

func decrypter(t *testing.T, identity string) *sealed.Decrypter {
	t.Helper()
	d, err := sealed.NewDecrypter(identity)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func TestRoundTripToEveryRecipient(t *testing.T) {
	t.Parallel()
	pub1, sec1 := sealedtest.KeyPair(t)
	pub2, sec2 := sealedtest.KeyPair(t)
	plain := randomBytes(300 << 10) // several of age's 64 KiB chunks
	enc := sealedtest.Seal(t, pub1+", "+pub2, plain)
	if !sealed.IsSealed(enc) {
		t.Fatalf("IsSealed of an age file = false; it begins %q", enc[:30])
	}
	if bytes.Contains(enc, plain[:64]) {
		t.Fatal("the encrypted file holds the plain bytes")
	}
	for i, sec := range []string{sec1, sec2} {
		r, err := decrypter(t, sec).Plain(bytes.NewReader(enc))
		if err != nil {
			t.Fatalf("key %d: %v", i+1, err)
		}
		got, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("key %d: %v", i+1, err)
		}
		if !bytes.Equal(got, plain) {
			t.Fatalf("key %d: got %d bytes back, want the %d written", i+1, len(got), len(plain))
		}
	}
}

func TestPlainDumpsPassThrough(t *testing.T) {
	t.Parallel()
	plain := []byte("\x1f\x8b\x08 a gzip file, or anything that is not age")
	for _, d := range []*sealed.Decrypter{nil, decrypter(t, func() string { _, s := sealedtest.KeyPair(t); return s }())} {
		r, err := d.Plain(bytes.NewReader(plain))
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := io.ReadAll(r); !bytes.Equal(got, plain) {
			t.Fatalf("got %q, want %q", got, plain)
		}
	}
	if sealed.IsSealed(plain) || sealed.IsSealed([]byte("age-enc")) {
		t.Fatal("IsSealed of a plain file = true")
	}
}

// countReads counts the reads of a file.
type countReads struct {
	r     io.Reader
	reads int
}

func (c *countReads) Read(p []byte) (int, error) {
	c.reads++
	return c.r.Read(p)
}

// A plain dump is read from its storage in large blocks, whatever sizes its
// reader asks for: gzip reads 4 KiB at a time, a system call each on a file.
func TestPlainReadsTheFileInLargeBlocks(t *testing.T) {
	t.Parallel()
	const size = 8 << 20
	src := &countReads{r: bytes.NewReader(append([]byte("\x1f\x8b\x08"), randomBytes(size)...))}
	r, err := (*sealed.Decrypter)(nil).Plain(src)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{r}, make([]byte, 4096))
	if err != nil || n != size+3 {
		t.Fatalf("read %d bytes, %v; want %d", n, err, size+3)
	}
	if max := size/(128<<10) + 2; src.reads > max {
		t.Fatalf("%d reads of the file for %d MiB, want at most %d (blocks of 128 KiB or more)", src.reads, size>>20, max)
	}
}

func TestNilRecipientsWriteThrough(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w, err := (*sealed.Recipients)(nil).Encrypt(&buf)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("plain"))
	if err := w.Close(); err != nil || buf.String() != "plain" {
		t.Fatalf("got %q, %v; want the bytes as written", buf.String(), err)
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	pub, sec := sealedtest.KeyPair(t)
	_, otherSec := sealedtest.KeyPair(t)
	plain := randomBytes(1 << 20)
	enc := sealedtest.Seal(t, pub, plain)
	flipped := func(at int) []byte {
		b := bytes.Clone(enc)
		b[at] ^= 0x01
		return b
	}
	// The header ends with its MAC: "--- <base64>\n". Then come a 16-byte nonce
	// and 64 KiB chunks of 16 bytes more each.
	mac := bytes.Index(enc, []byte("\n--- ")) + 5
	payload := mac + bytes.IndexByte(enc[mac:], '\n') + 1
	chunk := func(n int) int { return payload + 16 + n*(64<<10+16) }
	tests := []struct {
		name     string
		identity string
		file     []byte
		want     string // start of the message
		readOK   int    // plain bytes that may come before the error
	}{
		{"no identity", "", enc, wippidu.ErrDumpEncrypted.Message, 0},
		{"wrong key", otherSec, enc, wippidu.ErrWrongIdentity.Message, 0},
		{"header MAC altered", sec, flipped(mac + 10), "The encrypted dump is damaged or was altered: its age header", 0},
		{"nonce altered", sec, flipped(payload + 3), "The encrypted dump is damaged or was altered: its data fails to authenticate", 0},
		{"first chunk altered", sec, flipped(chunk(0) + 40), "The encrypted dump is damaged or was altered: its data fails to authenticate", 0},
		{"late chunk altered", sec, flipped(chunk(15) + 100), "The encrypted dump is damaged or was altered: its data fails to authenticate", 15 << 16},
		{"truncated between chunks", sec, enc[:chunk(10)], "The encrypted dump is damaged or was altered: it ends early", 10 << 16},
		{"truncated within a chunk", sec, enc[:chunk(10)+500], "The encrypted dump is damaged or was altered: its data fails to authenticate", 10 << 16},
		{"trailing bytes", sec, append(bytes.Clone(enc), "more"...), "The encrypted dump is damaged or was altered", len(plain)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d *sealed.Decrypter
			if tt.identity != "" {
				d = decrypter(t, tt.identity)
			}
			r, err := d.Plain(bytes.NewReader(tt.file))
			var n int
			if err == nil {
				var got []byte
				got, err = io.ReadAll(r)
				n = len(got)
			}
			var we *wippidu.Error
			if !errors.As(err, &we) || we.Code != wippidu.EINVALID || !strings.HasPrefix(we.Message, tt.want) {
				t.Fatalf("got error %v, want a user error starting %q", err, tt.want)
			}
			if n != tt.readOK {
				t.Errorf("got %d plain bytes before the error, want %d (every chunk before the bad one)", n, tt.readOK)
			}
		})
	}
}

// failingReader returns its bytes, then a storage error.
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

func TestStorageErrorsStayRetryable(t *testing.T) {
	t.Parallel()
	pub, sec := sealedtest.KeyPair(t)
	enc := sealedtest.Seal(t, pub, randomBytes(200<<10))
	lost := errors.New("connection reset by peer")
	for _, cut := range []int{20, len(enc) / 2} {
		r, err := decrypter(t, sec).Plain(&failingReader{r: bytes.NewReader(enc[:cut]), err: lost})
		if err == nil {
			_, err = io.ReadAll(r)
		}
		var we *wippidu.Error
		if !errors.Is(err, lost) || errors.As(err, &we) {
			t.Errorf("cut at %d: got %v, want the storage's own error, not a user error", cut, err)
		}
	}
}

func TestParseRecipients(t *testing.T) {
	t.Parallel()
	pub, sec := sealedtest.KeyPair(t)
	if r, err := sealed.ParseRecipients(" "); r != nil || err != nil {
		t.Fatalf("empty: got %v, %v; want nil, nil", r, err)
	}
	if r, err := sealed.ParseRecipients(pub + "," + pub); err != nil || r.Len() != 2 {
		t.Fatalf("got %v, %v; want 2 keys", r, err)
	}
	_, err := sealed.ParseRecipients(pub + ",age1nonsense")
	if err == nil || !strings.Contains(err.Error(), `holds "age1nonsense", which is not an age public key`) {
		t.Errorf("bad key: got %v", err)
	}
	_, err = sealed.ParseRecipients(sec)
	if err == nil || strings.Contains(err.Error(), sec) || !strings.Contains(err.Error(), "secret key") {
		t.Errorf("secret key given as recipient: got %v; want a refusal that does not repeat it", err)
	}
}

func TestNewDecrypter(t *testing.T) {
	t.Parallel()
	pub, sec := sealedtest.KeyPair(t)
	file := filepath.Join(t.TempDir(), "key.txt")
	if err := os.WriteFile(file, []byte("# created: now\n# public key: "+pub+"\n"+sec+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	enc := sealedtest.Seal(t, pub, []byte("hello"))
	for _, identity := range []string{sec, file, " " + sec + "\n"} {
		r, err := decrypter(t, identity).Plain(bytes.NewReader(enc))
		if err != nil {
			t.Fatalf("%q: %v", identity, err)
		}
		if got, _ := io.ReadAll(r); string(got) != "hello" {
			t.Fatalf("got %q", got)
		}
	}
	if d, err := sealed.NewDecrypter(" \n"); d != nil || err != nil {
		t.Fatalf("empty: got %v, %v; want nil, nil", d, err)
	}
	for identity, want := range map[string]string{
		"/nonexistent/key.txt":   "nor a readable identity file",
		pub:                      "is an age public key",
		sec[:len(sec)-3] + "QQQ": "is not a valid age secret key",
		filepath.Dir(file):       "is a directory",
	} {
		_, err := sealed.NewDecrypter(identity)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want an error saying %q", identity, err, want)
		}
		if err != nil && strings.Contains(err.Error(), sec[20:]) {
			t.Errorf("the error repeats the secret key: %v", err)
		}
	}
	if sealed.IsSealedName("wippidu-export-20261201-101112.json.gz") || !sealed.IsSealedName("wippidu-export-20261201-101112.json.gz.age") {
		t.Error("IsSealedName")
	}
}

// checkPlain stands for dump.CheckUpload: a plain file is a dump when it says so.
func checkPlain(prefix []byte, complete bool) error {
	if !bytes.HasPrefix(prefix, []byte("DUMP")) {
		return wippidu.ErrNotADump
	}
	return nil
}

func TestCheckUpload(t *testing.T) {
	t.Parallel()
	pub, sec := sealedtest.KeyPair(t)
	_, otherSec := sealedtest.KeyPair(t)
	small := sealedtest.Seal(t, pub, []byte("DUMP of a few bytes"))
	notDump := sealedtest.Seal(t, pub, []byte("something else"))
	big := sealedtest.Seal(t, pub, append([]byte("DUMP"), randomBytes(1<<20)...))
	const prefix = 64 << 10
	tests := []struct {
		name     string
		identity string
		file     []byte
		want     error
	}{
		{"plain dump", "", []byte("DUMP"), nil},
		{"plain other", "", []byte("PK\x03\x04"), wippidu.ErrNotADump},
		{"encrypted, no key here", "", notDump, nil},
		{"encrypted, right key", sec, small, nil},
		{"encrypted, right key, large", sec, big, nil},
		{"encrypted, right key, not a dump inside", sec, notDump, wippidu.ErrNotADump},
		{"encrypted, wrong key", otherSec, big, wippidu.ErrWrongIdentity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d *sealed.Decrypter
			if tt.identity != "" {
				d = decrypter(t, tt.identity)
			}
			n := min(len(tt.file), prefix)
			err := d.CheckUpload(checkPlain)(tt.file[:n], n == len(tt.file))
			if err != tt.want {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestPostQuantumKeys(t *testing.T) {
	t.Parallel()
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	plain := randomBytes(100 << 10)
	enc := sealedtest.Seal(t, id.Recipient().String(), plain)
	r, err := decrypter(t, id.String()).Plain(bytes.NewReader(enc))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("got %d bytes, %v; want the %d written", len(got), err, len(plain))
	}
	classic, _ := sealedtest.KeyPair(t)
	if _, err := sealed.ParseRecipients(id.Recipient().String() + "," + classic); err == nil || !strings.Contains(err.Error(), "cannot be used together") {
		t.Errorf("post-quantum and classic keys together: got %v, want a refusal", err)
	}
}
