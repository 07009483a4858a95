package sealed

import (
	"errors"
	"io"

	"github.com/wippidu/wippidu"
)

// CheckUpload wraps check, the judge of a plain dump's first bytes
// (dump.CheckUpload), for the web tier and the command line: an encrypted file is
// accepted by its age header. With keys, its header is also tried against them,
// so a dump for other keys, or a damaged header, is refused before it is stored;
// what decrypts of the prefix (only a small file's: age's chunks are 64 KiB) is
// judged by check. Anything not judged here the import judges before it changes
// anything.
func (d *Decrypter) CheckUpload(check func(prefix []byte, complete bool) error) func(prefix []byte, complete bool) error {
	return func(prefix []byte, complete bool) error {
		if !IsSealed(prefix) {
			return check(prefix, complete)
		}
		if d == nil {
			return nil // the workers hold the key
		}
		r, err := d.Unwrap(wippidu.PrefixReader(prefix, complete))
		if errors.Is(err, wippidu.ErrMoreFollows) {
			return nil
		}
		if err != nil {
			return err
		}
		plain, err := io.ReadAll(r)
		switch {
		case errors.Is(err, wippidu.ErrMoreFollows):
			if len(plain) == 0 {
				return nil
			}
			return check(plain, false)
		case err != nil:
			return err
		}
		return check(plain, true)
	}
}
