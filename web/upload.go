package web

import (
	"io"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

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
