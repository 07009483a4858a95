package wippidu

import (
	"bytes"
	"errors"
	"io"
)

// ErrMoreFollows ends an upload's first bytes (PrefixReader) when more of the file
// follows: a check that runs into it has not seen enough to judge.
var ErrMoreFollows = errors.New("more of the upload follows")

// PrefixReader reads the first bytes of an uploaded file, as the web tier and the
// command line buffer them to judge a file before storing it. complete says
// prefix is the whole file: then it ends with io.EOF, else with ErrMoreFollows.
func PrefixReader(prefix []byte, complete bool) io.Reader {
	if complete {
		return bytes.NewReader(prefix)
	}
	return io.MultiReader(bytes.NewReader(prefix), errReader{ErrMoreFollows})
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
