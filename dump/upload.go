package dump

import (
	"errors"

	"github.com/wippidu/wippidu"
)

// CheckBytes is how much of a file CheckUpload should be given: a header that does
// not fit is left for the import to judge.
const CheckBytes = 64 << 10

// CheckUpload reads the dump header in the first bytes of an uploaded file, so
// that a file that is not a dump, or one from a newer release, is refused at once,
// before anything is stored. complete says prefix is the whole file. A header that
// does not fit into prefix is left to the import job to judge. The errors are the
// ones a user sees: wippidu.ErrNotADump, or the newer-version message.
func CheckUpload(prefix []byte, complete bool) error {
	_, err := NewReader(wippidu.PrefixReader(prefix, complete), ReaderOptions{})
	var newer *NewerSchemaError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &newer):
		return wippidu.Errorf(wippidu.EINVALID, "%s", newer.Error())
	case errors.Is(err, wippidu.ErrMoreFollows):
		return nil
	case errors.Is(err, ErrFormat):
		return wippidu.ErrNotADump
	}
	return nil
}
