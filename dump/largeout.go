package dump

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
)

// A bytea value of any size is written without ever being held whole: the
// binary COPY rows leave values over LargeValueBytes out (BinaryExportSelect),
// and the TableWriter has its Large fetch them in chunks, base64-encoding each
// chunk into the dump as it comes. The dump reads exactly as if the value had
// been in the row: the base64 of consecutive pieces is the base64 of the whole
// once the 0–2 bytes that do not fill a group are carried to the next piece.

// LargeValueBytes is the size above which an exported bytea value is fetched in
// chunks instead of coming inside its binary COPY row: small enough that a row
// never costs much memory, large enough that almost every value still comes with
// its row, and a chunked value takes a few queries at most per MiB.
const LargeValueBytes = 1 << 20

// FetchFunc reads a bytea value a binary COPY row left out: the value of column
// col (an index into the table's columns) of the row whose ctid (binary tid: a
// 4-byte block and a 2-byte offset) is given, n bytes long. It hands every byte,
// in order, to emit, in pieces of any size (a multiple of 3 saves a carry), and
// stops at the first error emit returns. A piece is not used after emit returns.
type FetchFunc func(ctid []byte, col int, n int64, emit func([]byte) error) error

// largeBytea writes a value left out of its row as a base64 JSON string, from
// the pieces t.Large fetches; length is the row's length field for it.
func (t *TableWriter) largeBytea(b, ctid []byte, col int, length []byte) ([]byte, error) {
	var n int64
	switch len(length) {
	case 4:
		n = int64(int32(binary.BigEndian.Uint32(length)))
	case 8:
		n = int64(binary.BigEndian.Uint64(length))
	default:
		return b, fmt.Errorf("value length of %d bytes", len(length))
	}
	switch {
	case n < 0:
		return b, fmt.Errorf("value length %d", n)
	case ctid == nil:
		return b, fmt.Errorf("a value of %d bytes left out of its row without the row's ctid", n)
	case t.Large == nil:
		return b, fmt.Errorf("a value of %d bytes left out of its row, and no way to fetch it", n)
	}
	b = append(b, '"')
	var group [3]byte // the bytes of a piece's last, incomplete base64 group
	held := 0
	var got int64
	emit := func(p []byte) error {
		if got += int64(len(p)); got > n {
			return fmt.Errorf("fetched more than the value's %d bytes", n)
		}
		if held > 0 {
			k := copy(group[held:], p)
			if held += k; held < 3 {
				return nil
			}
			b = base64.StdEncoding.AppendEncode(b, group[:])
			p, held = p[k:], 0
		}
		whole := len(p) - len(p)%3
		var err error
		b, err = t.appendBase64(b, p[:whole])
		held = copy(group[:], p[whole:])
		return err
	}
	if err := t.Large(ctid, col, n, emit); err != nil {
		return b, fmt.Errorf("fetch a value of %d bytes: %w", n, err)
	}
	if got != n {
		// The value is read under the export's snapshot, so it cannot change
		// between the row and its chunks; a short read means something is wrong.
		return b, fmt.Errorf("fetched %d of the value's %d bytes: the row changed under the export's snapshot", got, n)
	}
	b = base64.StdEncoding.AppendEncode(b, group[:held])
	return append(b, '"'), nil
}
