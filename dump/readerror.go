package dump

import (
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
)

// errTooLong is what the lexer returns for a string over its limit; the caller,
// which knows what the string is, turns it into a format error.
var errTooLong = errors.New("value too long")

// formatErr records and returns the error for malformed input. Only the first error
// counts: once one is recorded, every later call returns it.
func (r *lexer) formatErr(format string, args ...any) error {
	if r.err != nil {
		return r.err
	}
	where := ""
	if r.where != nil {
		where = r.where()
	}
	r.err = fmt.Errorf("%w: %s%s (at byte %d of the JSON)", ErrFormat, where, fmt.Sprintf(format, args...), r.offset+int64(r.pos))
	return r.err
}

// where says which table, row and column the reader is in, for error messages.
func (r *Reader) where() string {
	if r.state != stateRows || r.table == nil {
		return ""
	}
	t := r.table
	if r.col >= 0 && r.col < len(t.Columns) {
		return fmt.Sprintf("table %q row %d column %q: ", t.Name, t.Rows+1, t.Columns[r.col].Name)
	}
	return fmt.Sprintf("table %q row %d: ", t.Name, t.Rows+1)
}

// readErr is the error for a failed read of the gzip stream after its header.
func (r *lexer) readErr(err error) error {
	where := ""
	if r.where != nil {
		where = r.where()
	}
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: %sthe file is truncated: the gzip data ends after %d bytes of JSON", ErrFormat, where, r.offset+int64(r.end))
	case errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.As(err, &corrupt):
		return fmt.Errorf("%w: %sdamaged gzip data after %d bytes of JSON: %v", ErrFormat, where, r.offset+int64(r.end), err)
	}
	// The storage failed, not the file: a retry may succeed.
	return fmt.Errorf("read dump: %w", err)
}

// jsonKind names the JSON value that starts with c.
func jsonKind(c byte) string {
	switch {
	case c == '[':
		return "a JSON array"
	case c == '{':
		return "a JSON object"
	case c == '"':
		return "a JSON string"
	case c == '-' || (c >= '0' && c <= '9'):
		return "a JSON number"
	case c == 'n':
		return "JSON null"
	case c == 't' || c == 'f':
		return "a JSON boolean"
	}
	return fmt.Sprintf("no JSON (first byte %q)", c)
}

// prefix shortens a too-long name for an error message.
func prefix(b []byte) string {
	if len(b) > 40 {
		b = b[:40]
	}
	return string(b) + "…"
}
