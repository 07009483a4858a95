package anonymizer

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"strconv"
)

// StagingPassword is the password of every account after the passwords anonymizer.
const StagingPassword = "staging123"

// ScrubbedText replaces message and parental-letter bodies.
const ScrubbedText = "[scrubbed for staging]"

// Row is what a method may know about the row it anonymizes.
type Row struct {
	Table   string
	ID      []byte // text of the row's id, nil if the table has none in the dump
	Seq     int64  // 1-based position of the row in its table, a fallback identity
	NotNull bool   // the column refuses NULL
}

// method appends the replacement value to dst; null reports a NULL replacement.
type method func(a *Anonymizer, dst []byte, row Row) (out []byte, null bool)

var methods = map[string]method{
	"staging_email":        stagingEmail,
	"german_first_name":    germanFirstName,
	"german_last_name":     germanLastName,
	"blank":                blank,
	"staging_password":     stagingPassword,
	"scrubbed_text":        constant(ScrubbedText),
	"placeholder_png":      placeholderPNG,
	"placeholder_png_size": placeholderPNGSize,
}

func rowIdentity(row Row) []byte {
	if row.ID != nil {
		return row.ID
	}
	return strconv.AppendInt(nil, row.Seq, 10)
}

func stagingEmail(_ *Anonymizer, dst []byte, row Row) ([]byte, bool) {
	dst = append(dst, "user-"...)
	dst = append(dst, rowIdentity(row)...)
	return append(dst, "@staging.local"...), false
}

// nameHash is the keyed hash of (salt, table, id) that picks a row's fake name.
func (a *Anonymizer) nameHash(row Row) [sha256.Size]byte {
	m := hmac.New(sha256.New, a.salt)
	m.Write([]byte(row.Table))
	m.Write([]byte{0})
	m.Write(rowIdentity(row))
	var sum [sha256.Size]byte
	m.Sum(sum[:0])
	return sum
}

func germanFirstName(a *Anonymizer, dst []byte, row Row) ([]byte, bool) {
	h := a.nameHash(row)
	i := binary.BigEndian.Uint64(h[0:8]) % uint64(len(germanFirstNames))
	return append(dst, germanFirstNames[i]...), false
}

func germanLastName(a *Anonymizer, dst []byte, row Row) ([]byte, bool) {
	h := a.nameHash(row)
	i := binary.BigEndian.Uint64(h[8:16]) % uint64(len(germanLastNames))
	return append(dst, germanLastNames[i]...), false
}

func blank(_ *Anonymizer, dst []byte, row Row) ([]byte, bool) {
	return dst, !row.NotNull
}

func stagingPassword(a *Anonymizer, dst []byte, _ Row) ([]byte, bool) {
	return append(dst, a.passwordHash...), false
}

func constant(s string) method {
	return func(_ *Anonymizer, dst []byte, _ Row) ([]byte, bool) { return append(dst, s...), false }
}

// PlaceholderPNG is the 1×1 image every attachment becomes.
var PlaceholderPNG = func() []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	img.Set(0, 0, color.NRGBA{R: 0xf5, G: 0xc5, B: 0x18, A: 0xff})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}()

func placeholderPNG(_ *Anonymizer, dst []byte, _ Row) ([]byte, bool) {
	return append(dst, PlaceholderPNG...), false
}

func placeholderPNGSize(_ *Anonymizer, dst []byte, _ Row) ([]byte, bool) {
	return strconv.AppendInt(dst, int64(len(PlaceholderPNG)), 10), false
}
