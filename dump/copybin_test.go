package dump

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"
)

func TestBinaryTextForms(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		typ  BinaryType
		text string
		want any // int64 payload, or nil for ErrNotBinary
	}{
		{BinaryInt8, "42", int64(42)},
		{BinaryInt8, "-9223372036854775808", int64(math.MinInt64)},
		{BinaryInt8, "9223372036854775808", nil},
		{BinaryInt4, "2147483648", nil},
		{BinaryInt2, "-32768", int64(-32768)},
		{BinaryInt8, "+5", nil},
		{BinaryInt8, " 5", nil},
		{BinaryDate, "2000-01-02", int64(1)},
		{BinaryDate, "1999-12-31", int64(-1)},
		{BinaryDate, "0044-03-15", int64(-714340)},
		{BinaryDate, "2026-02-30", nil},
		{BinaryDate, "0044-03-15 BC", nil},
		{BinaryDate, "infinity", int64(math.MaxInt32)},
		{BinaryTimestamptz, "2000-01-01 00:00:00+00", int64(0)},
		{BinaryTimestamptz, "2000-01-01 00:00:00.000001+00", int64(1)},
		{BinaryTimestamptz, "2000-01-01 00:00:00.5+00", int64(500000)},
		{BinaryTimestamptz, "2000-01-01 01:00:00+01", int64(0)},
		{BinaryTimestamptz, "2000-01-01 00:00:00-05:30", int64(19800 * 1e6)},
		{BinaryTimestamptz, "1999-12-31 23:59:59+00", int64(-1e6)},
		{BinaryTimestamptz, "2024-01-02 03:04:05.123456+00", int64(757479845123456)},
		{BinaryTimestamptz, "-infinity", int64(math.MinInt64)},
		{BinaryTimestamptz, "2000-01-01 00:00:00", nil},
		{BinaryTimestamptz, "2000-01-01 00:00:00.1234567+00", nil},
		{BinaryTimestamptz, "2000-01-01 24:00:00+00", nil},
		{BinaryTimestamp, "2000-01-01 00:00:01", int64(1e6)},
		{BinaryTimestamp, "2000-01-01 00:00:01+00", nil},
		{BinaryBool, "t", int64(1)},
		{BinaryBool, "true", nil},
	} {
		out, err := AppendBinaryText(nil, c.typ, []byte(c.text))
		if c.want == nil {
			if !errors.Is(err, ErrNotBinary) {
				t.Errorf("%d %q: got %x, %v; want ErrNotBinary", c.typ, c.text, out, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%d %q: %v", c.typ, c.text, err)
			continue
		}
		n := binary.BigEndian.Uint32(out)
		body := out[4:]
		if int(n) != len(body) {
			t.Errorf("%d %q: length %d, body %d bytes", c.typ, c.text, n, len(body))
			continue
		}
		var got int64
		switch len(body) {
		case 1:
			got = int64(body[0])
		case 2:
			got = int64(int16(binary.BigEndian.Uint16(body)))
		case 4:
			got = int64(int32(binary.BigEndian.Uint32(body)))
		case 8:
			got = int64(binary.BigEndian.Uint64(body))
		}
		if got != c.want.(int64) {
			t.Errorf("%d %q: got %d, want %d", c.typ, c.text, got, c.want)
		}
	}
}

func TestBinaryTextRefusesWhatTextFormatRefuses(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"a\x00b", "\xff"} {
		if _, err := AppendBinaryText(nil, BinaryText, []byte(s)); err == nil || errors.Is(err, ErrNotBinary) {
			t.Errorf("%q: got %v, want the text format's error", s, err)
		}
	}
	out, err := AppendBinaryText(nil, BinaryJSONB, []byte(`{"a":1}`))
	if err != nil || string(out) != "\x00\x00\x00\x08\x01{\"a\":1}" {
		t.Errorf("jsonb: %q %v", out, err)
	}
	out, err = AppendBinaryBase64(nil, []byte("AAEC"))
	if err != nil || string(out) != "\x00\x00\x00\x03\x00\x01\x02" {
		t.Errorf("bytea: %q %v", out, err)
	}
	if _, err := AppendBinaryBase64(nil, []byte("A!==")); err == nil {
		t.Error("bad base64 accepted")
	}
}
