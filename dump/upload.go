package dump

import (
	"bytes"
	"errors"
	"io"

	"github.com/wippidu/wippidu"
)

// errMore marks the end of an upload's buffered prefix when more of the file
// follows: a header check that runs into it has not seen enough to judge.
var errMore = errors.New("more of the upload follows")

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// CheckBytes is how much of a file CheckUpload should be given: a header that does
// not fit is left for the import to judge.
const CheckBytes = 64 << 10

// CheckUpload reads the dump header in the first bytes of an uploaded file, so
// that a file that is not a dump, or one from a newer release, is refused at once,
// before anything is stored. complete says prefix is the whole file. A header that
// does not fit into prefix is left to the import job to judge. The errors are the
// ones a user sees: wippidu.ErrNotADump, or the newer-version message.
func CheckUpload(prefix []byte, complete bool) error {
	var src io.Reader = bytes.NewReader(prefix)
	if !complete {
		src = io.MultiReader(src, errReader{errMore})
	}
	_, err := NewReader(src, ReaderOptions{})
	var newer *NewerSchemaError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &newer):
		return wippidu.Errorf(wippidu.EINVALID, "%s", newer.Error())
	case errors.Is(err, errMore):
		return nil
	case errors.Is(err, ErrFormat):
		return wippidu.ErrNotADump
	}
	return nil
}
