package sealed

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"

	"github.com/wippidu/wippidu"
)

// Decrypter decrypts dumps with the secret keys of IMPORT_IDENTITY. A nil
// *Decrypter has no keys: it passes plain dumps through and refuses encrypted
// ones with wippidu.ErrDumpEncrypted.
type Decrypter struct {
	ids []age.Identity
}

// NewDecrypter reads IMPORT_IDENTITY: age secret keys (AGE-SECRET-KEY-1…) or the
// path of an age identity file. An empty identity is nil, nil.
func NewDecrypter(identity string) (*Decrypter, error) {
	if strings.TrimSpace(identity) == "" {
		return nil, nil
	}
	ids, err := parseIdentity(identity)
	if err != nil {
		return nil, err
	}
	return &Decrypter{ids: ids}, nil
}

// plainReadSize is how much of the file one read asks for.
const plainReadSize = 256 << 10

// Plain returns the dump src holds, in the clear: an age file is decrypted as it
// is read (see Unwrap), anything else is read as it is. Which it is, the first
// bytes say, not the file's name.
func (d *Decrypter) Plain(src io.Reader) (io.Reader, error) {
	// The buffer is what the gzip reader reads the file through (a bufio.Reader
	// is an io.ByteReader: dump.Inflate adds none of its own), so it reads in
	// large blocks: 4 KiB reads of a dump of gigabytes are a system call each.
	br := bufio.NewReaderSize(src, plainReadSize)
	head, err := br.Peek(len(Magic))
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if !IsSealed(head) {
		return br, nil
	}
	return d.Unwrap(br)
}

// Unwrap decrypts the age file src as it is read. It reads age's header first, so
// a file for other keys (wippidu.ErrWrongIdentity) or with a damaged header
// (wippidu.DumpDamaged) is refused before Unwrap returns. Later, the reader
// returns wippidu.DumpDamaged at the first chunk that fails to authenticate,
// truncation included. Read errors of src itself (storage, network) come back as
// they are: a retry may succeed.
func (d *Decrypter) Unwrap(src io.Reader) (io.Reader, error) {
	if d == nil {
		return nil, wippidu.ErrDumpEncrypted
	}
	t := &wippidu.CountingReader{R: src}
	r, err := age.Decrypt(t, d.ids...)
	var noMatch *age.NoIdentityMatchError
	switch {
	case err == nil:
		return &plainReader{r: r, src: t}, nil
	case t.Err != nil:
		return nil, fmt.Errorf("read encrypted dump: %w", t.Err)
	case errors.As(err, &noMatch):
		return nil, wippidu.ErrWrongIdentity
	}
	return nil, wippidu.DumpDamaged("its age header is not valid (" + err.Error() + ")")
}

// plainReader is the decrypted dump. age's stream reader says "failed to decrypt
// and authenticate payload chunk", io.ErrUnexpectedEOF or "trailing data"; the
// import's admin is told what that means for them.
type plainReader struct {
	r   io.Reader
	src *wippidu.CountingReader
	err error
}

func (p *plainReader) Read(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	n, err := p.r.Read(b)
	switch {
	case err == nil, errors.Is(err, io.EOF):
		return n, err
	case p.src.Err != nil:
		return n, err // the source's own error, passed through by age
	case errors.Is(err, io.ErrUnexpectedEOF):
		p.err = wippidu.DumpDamaged(fmt.Sprintf("it ends early, after %d bytes, without age's last chunk", p.src.N))
	default:
		p.err = wippidu.DumpDamaged(fmt.Sprintf("its data fails to authenticate before byte %d of the file", p.src.N))
	}
	return n, p.err
}
