package dump

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
)

// Large binary values. A bytea value arrives as a base64 string that may be far
// bigger than what a worker should hold (an attachment of hundreds of megabytes).
// In a column the caller marks with Table.Spill, a string longer than the
// reader's spill size is decoded as it is read into a temporary file, unlinked at
// once, and the Value points at it (Value.Large): the caller streams it from there
// into COPY, and memory stays flat whatever the size of the value.

// DefaultSpillBytes is the base64 length above which a string of a Spill column
// goes to the temporary file instead of memory.
const DefaultSpillBytes = 1 << 20

// DefaultMaxLargeBytes bounds a bytea value's decoded size, in a Spill column or a
// skipped one: PostgreSQL's own limit for a field is 1 GB.
const DefaultMaxLargeBytes = 1 << 30

// Large is a binary value held in the reader's temporary file. It is only valid
// until the next call to NextRow.
type Large struct {
	f      *os.File
	off, n int64
}

// Len is the value's size in bytes.
func (l *Large) Len() int64 { return l.n }

// Reader returns a reader of the value's bytes.
func (l *Large) Reader() io.Reader { return io.NewSectionReader(l.f, l.off, l.n) }

// spill is the temporary file of a Reader's large values, reused row after row.
type spill struct {
	f   *os.File
	end int64 // bytes used by the current row's values
	raw []byte
}

// largeBase64Limit is the longest base64 string of a bytea value of at most n
// bytes.
func largeBase64Limit(n int) int { return base64.StdEncoding.EncodedLen(n) }

// spillValue reads a string (opening quote consumed) of a Spill column: kept in the
// arena like any other while it is short, decoded into the spill file once it
// grows past r.spillAt. limit bounds the string's length.
func (r *Reader) spillValue(v *Value, limit int) error {
	start := len(r.arena)
	a, err := r.readString(r.arena, r.spillAt)
	r.arena = a
	if err == nil {
		v.Data = a[start:]
		return nil
	}
	if !errors.Is(err, errTooLong) {
		return err
	}
	s := &r.spill
	if s.f == nil {
		f, err := os.CreateTemp("", "wippidu-import-*.bytea")
		if err != nil {
			return fmt.Errorf("temporary file for a large value: %w", err)
		}
		// Unlinked at once: nothing is left behind, even if the process dies.
		_ = os.Remove(f.Name())
		s.f = f
	}
	l := &Large{f: s.f, off: s.end}
	read := len(a) - start // base64 bytes read so far
	for {
		chunk := stripNewlines(r.arena[start:])
		last := err == nil
		q := len(chunk)
		if !last {
			q = q / 4 * 4
			if q > 0 && chunk[q-1] == '=' {
				return r.formatErr("bytea value is not valid base64: padding before its end")
			}
		}
		if err := r.spillDecode(l, chunk[:q], read-len(r.arena[start:])); err != nil {
			return err
		}
		if last {
			break
		}
		rest := copy(r.arena[start:], chunk[q:])
		if read > limit {
			return errTooLong
		}
		var a []byte
		a, err = r.readString(r.arena[:start+rest], r.spillAt)
		read += len(a) - start - rest
		r.arena = a
		if err != nil && !errors.Is(err, errTooLong) {
			return err
		}
	}
	if read > limit {
		return errTooLong
	}
	r.arena = r.arena[:start]
	s.end = l.off + l.n
	v.Large = l
	return nil
}

// spillDecode decodes whole base64 groups into the spill file at the end of l;
// at is the position of b64 in the value, for error messages.
func (r *Reader) spillDecode(l *Large, b64 []byte, at int) error {
	s := &r.spill
	if need := base64.StdEncoding.DecodedLen(len(b64)); cap(s.raw) < need {
		s.raw = make([]byte, need)
	}
	n, err := base64.StdEncoding.Decode(s.raw[:cap(s.raw)], b64)
	if err != nil {
		var ce base64.CorruptInputError
		if errors.As(err, &ce) {
			return r.formatErr("bytea value is not valid base64: illegal base64 data at input byte %d", int64(at)+int64(ce))
		}
		return r.formatErr("bytea value is not valid base64: %v", err)
	}
	if _, err := s.f.WriteAt(s.raw[:n], l.off+l.n); err != nil {
		return fmt.Errorf("write a large value to a temporary file: %w", err)
	}
	l.n += int64(n)
	return nil
}

// stripNewlines removes the line breaks a base64 decoder ignores, in place, so
// that the rest can be cut into whole groups of four.
func stripNewlines(b []byte) []byte {
	if !bytes.ContainsAny(b, "\r\n") {
		return b
	}
	out := b[:0]
	for _, c := range b {
		if c != '\r' && c != '\n' {
			out = append(out, c)
		}
	}
	return out
}

// closeSpill closes the temporary file.
func (r *Reader) closeSpill() {
	if r.spill.f != nil {
		_ = r.spill.f.Close()
		r.spill.f = nil
	}
}
