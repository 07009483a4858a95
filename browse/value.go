package browse

import (
	"net/http"
	"strings"
	"unicode/utf8"
)

// Value is one value as people see it: text, NULL, or a bytea's size and type.
type Value struct {
	// Text is the value's text form (PostgreSQL's ::text), at most MaxValueRunes
	// characters and "…" when Truncated; control characters are shown as their
	// Unicode pictures (␊ for a line feed), so that a value keeps to one line.
	Text      string `json:"text"`
	Null      bool   `json:"null,omitempty"`
	Truncated bool   `json:"truncated,omitempty"`
	// Binary values (bytea) are never sent: only their size in Bytes, and MIME
	// when their first bytes name a type.
	Binary bool   `json:"binary,omitempty"`
	Bytes  int64  `json:"bytes,omitempty"`
	MIME   string `json:"mime,omitempty"`
	// Hidden values are not shown: a preview's value of a column the import
	// would have loaded as production had it (see Reader.Sample).
	Hidden bool `json:"hidden,omitempty"`
}

// textValue is the value of a text column read as left(col::text, limit+1).
func textValue(s *string, limit int) Value {
	if s == nil {
		return Value{Null: true}
	}
	v := Value{Text: *s}
	if utf8.RuneCountInString(v.Text) > limit {
		n := 0
		for i := range v.Text {
			if n == limit {
				v.Text = v.Text[:i]
				break
			}
			n++
		}
		v.Text += "…"
		v.Truncated = true
	}
	v.Text = strings.Map(visible, v.Text)
	return v
}

// visible maps a control character to its picture in the Control Pictures block.
func visible(r rune) rune {
	switch {
	case r < 0x20:
		return 0x2400 + r
	case r == 0x7f:
		return '␡'
	}
	return r
}

// binaryValue is the value of a bytea column read as its length and first bytes.
func binaryValue(size *int64, head []byte) Value {
	if size == nil {
		return Value{Null: true}
	}
	v := Value{Binary: true, Bytes: *size}
	if len(head) > 0 {
		mime, _, _ := strings.Cut(http.DetectContentType(head), ";")
		if mime != "application/octet-stream" {
			v.MIME = mime
		}
	}
	return v
}
