package dump

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// A table's COPY output reaches the writer in pieces of any size, and a table
// may be read on several connections at once, each a COPY of the same select
// list over a part of its rows. Each stream has a rowCutter that cuts it into
// whole rows; only whole rows reach the table's JSON, so the rows of every
// stream can go into the table's one "rows" array in whatever order they come.
// Row order inside a table means nothing in a dump.

// rowCutter cuts one COPY stream of a table into whole rows: lines of COPY text
// format, or the rows of binary COPY format after its header. The start of a
// row that a piece ends inside is held until the rest arrives.
type rowCutter struct {
	table   string
	binary  bool
	width   int // fields per binary COPY row
	partial []byte
	rows    int64 // rows cut so far, for messages
	started bool  // binary: the header was read
	ended   bool  // binary: the trailer was read
}

// cut hands every whole row in p, after what was held before, to emit: a text
// row with its newline, a binary one with its field count.
func (c *rowCutter) cut(p []byte, emit func(row []byte) error) error {
	if c.binary {
		return c.cutBinary(p, emit)
	}
	if len(c.partial) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			c.partial = append(c.partial, p...)
			return nil
		}
		c.partial = append(c.partial, p[:i+1]...)
		if err := c.emit(c.partial, emit); err != nil {
			return err
		}
		c.partial = c.partial[:0]
		p = p[i+1:]
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			c.partial = append(c.partial, p...)
			break
		}
		if err := c.emit(p[:i+1], emit); err != nil {
			return err
		}
		p = p[i+1:]
	}
	return nil
}

func (c *rowCutter) emit(row []byte, emit func([]byte) error) error {
	c.rows++
	return emit(row)
}

func (c *rowCutter) cutBinary(p []byte, emit func([]byte) error) error {
	if len(c.partial) > 0 {
		c.partial = append(c.partial, p...)
		p = c.partial
	}
	for len(p) > 0 {
		n, row, err := c.binaryStep(p)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
		if row {
			if err := c.emit(p[:n], emit); err != nil {
				return err
			}
		}
		p = p[n:]
	}
	c.partial = append(c.partial[:0], p...)
	if cap(c.partial) > 4*flushAt && len(c.partial) == 0 {
		c.partial = nil
	}
	return nil
}

// binaryStep finds the header, one row or the trailer at the start of p, and
// returns how many bytes it takes (0 when p does not hold all of it yet) and
// whether it is a row.
func (c *rowCutter) binaryStep(p []byte) (int, bool, error) {
	switch {
	case c.ended:
		return 0, false, fmt.Errorf("table %q: binary COPY data after its end", c.table)
	case !c.started:
		if len(p) < 19 {
			return 0, false, nil
		}
		if !bytes.Equal(p[:11], binarySignature) {
			return 0, false, fmt.Errorf("table %q: not binary COPY data", c.table)
		}
		ext := int(binary.BigEndian.Uint32(p[15:19]))
		if len(p) < 19+ext {
			return 0, false, nil
		}
		c.started = true
		return 19 + ext, false, nil
	}
	if len(p) < 2 {
		return 0, false, nil
	}
	n := int16(binary.BigEndian.Uint16(p))
	if n == -1 {
		c.ended = true
		return 2, false, nil
	}
	if int(n) != c.width {
		return 0, false, fmt.Errorf("table %q row %d: %d COPY fields, want %d", c.table, c.rows+1, n, c.width)
	}
	end := 2
	for range n {
		if len(p) < end+4 {
			return 0, false, nil
		}
		if l := int32(binary.BigEndian.Uint32(p[end:])); l > 0 {
			end += int(l)
		}
		end += 4
		if len(p) < end {
			return 0, false, nil
		}
	}
	return end, true, nil
}

// close reports a stream that ended inside a row.
func (c *rowCutter) close() error {
	if len(c.partial) > 0 || (c.started && !c.ended) {
		return fmt.Errorf("table %q: COPY data ends inside a row", c.table)
	}
	return nil
}

// A Part is one more COPY stream of a table, for a table read on several
// connections at once: each COPY selects the same list (the one the table was
// begun with, in the same format) from a part of the table's rows.
type Part struct {
	t      *TableWriter
	cut    rowCutter
	closed bool
}

// NewPart returns a writer for one more COPY stream of the table. Writes to a
// table's parts and to the TableWriter itself must not run at once (they all
// write into one dump); every part must be closed before the table.
func (t *TableWriter) NewPart() *Part {
	t.parts++
	return &Part{t: t, cut: rowCutter{table: t.name, binary: t.bin != nil, width: t.width}}
}

// Write writes the whole rows in b into the table, the first one completing
// the row the previous Write ended inside, and holds the start of a row that b
// ends inside.
func (p *Part) Write(b []byte) (int, error) { return p.t.write(&p.cut, b) }

// Rows returns how many rows were written into the table so far, by every part.
func (p *Part) Rows() int64 { return p.t.rows }

// Close reports a stream that ended inside a row.
func (p *Part) Close() error {
	if p.closed {
		return nil
	}
	if err := p.cut.close(); err != nil {
		return p.t.fail(err)
	}
	p.closed = true
	p.t.parts--
	return nil
}
