package transfer

import (
	"bytes"
	"encoding/hex"
	"testing"
	"testing/iotest"
)

// A large bytea value goes into COPY text through hexReader, in reads of any
// size, down to one byte: COPY's source is read ahead into fixed chunks, whose
// last byte may be all the room left.
func TestHexReaderReadsAnySize(t *testing.T) {
	t.Parallel()
	raw := []byte("\x00\x01\xfe\xff wippidu \x7f")
	want := []byte(hex.EncodeToString(raw))
	if err := iotest.TestReader(&hexReader{r: bytes.NewReader(raw)}, want); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*hexReader{
		{r: iotest.OneByteReader(bytes.NewReader(raw))},
		{r: iotest.DataErrReader(bytes.NewReader(raw))},
	} {
		var got []byte
		b := make([]byte, 1)
		for {
			n, err := r.Read(b)
			got = append(got, b[:n]...)
			if err != nil {
				break
			}
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("read one byte at a time: %q, want %q", got, want)
		}
	}
}
