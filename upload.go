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

// CountingReader counts the bytes read through it (N) and keeps its source's
// read error other than io.EOF (Err), so that what reads a dump can tell a failing
// source (storage, network: a retry may work) from a bad file. With a Limit, a
// read that goes past it fails with OverLimit, so that storing an upload stops
// there and keeps nothing.
type CountingReader struct {
	R         io.Reader
	N         int64
	Err       error
	Limit     int64 // 0: none
	OverLimit error
}

func (c *CountingReader) Read(p []byte) (int, error) {
	n, err := c.R.Read(p)
	c.N += int64(n)
	if c.Limit > 0 && c.N > c.Limit {
		return 0, c.OverLimit
	}
	if err != nil && !errors.Is(err, io.EOF) {
		c.Err = err
	}
	return n, err
}
