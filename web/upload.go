package web

import (
	"bytes"
	"errors"
	"io"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/dump"
)

// errMore marks the end of an upload's buffered prefix when more of the file
// follows: a header check that runs into it has not seen enough to judge.
var errMore = errors.New("more of the upload follows")

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// checkDumpHeader reads the dump header in the first bytes of an upload, so that
// a file that is not a dump, or one from a newer release, is refused at once,
// before anything is stored. complete says prefix is the whole file. A header
// that does not fit into prefix is left to the import job to judge.
func checkDumpHeader(prefix []byte, complete bool) error {
	var src io.Reader = bytes.NewReader(prefix)
	if !complete {
		src = io.MultiReader(src, errReader{errMore})
	}
	_, err := dump.NewReader(src, dump.ReaderOptions{})
	var newer *dump.NewerSchemaError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &newer):
		return wippidu.Errorf(wippidu.EINVALID, "%s", newer.Error())
	case errors.Is(err, errMore):
		return nil
	case errors.Is(err, dump.ErrFormat):
		return wippidu.ErrNotADump
	}
	return nil
}

// limitedReader fails with errTooLarge once more than limit bytes were read, so
// that storage.Put aborts and leaves no partial object behind.
type limitedReader struct {
	r     io.Reader
	limit int64
	n     int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > l.limit {
		return 0, errTooLarge(l.limit)
	}
	return n, err
}

// maxFileNameBytes bounds the file name an upload is recorded under.
const maxFileNameBytes = 255

// uploadFileName is the harmless base name an upload is recorded (and shown)
// under: no directories of either kind, no control characters or invalid UTF-8,
// at most maxFileNameBytes. The name never chooses where the file is stored.
func uploadFileName(name string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if r == unicode.ReplacementChar || unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(name, ""))
	for len(name) > maxFileNameBytes {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	if name == "" || name == "." || name == ".." || name == "/" {
		return "upload.json.gz"
	}
	return name
}
