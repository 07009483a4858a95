package web

import (
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

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
