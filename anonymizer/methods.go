package anonymizer

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"hash"
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
	Value   []byte // the value replaced, for the methods that derive from it (nil otherwise)
	// Refs are the people the row refers to (see TablePlan.Refs), for the
	// free-text replacement to prefer them; filled by the caller.
	Refs []Ref
}

// method appends the replacement value to dst; null reports a NULL replacement.
type method func(a *Anonymizer, dst []byte, row Row) (out []byte, null bool)

// role is what a column replaced by a method tells the people dictionary.
type role uint8

const (
	roleNone role = iota
	roleEmail
	roleFirst
	roleLast
	roleStreet
	rolePhone
	rolePassword
	roleBody
	roleBirthDate
)

// methodSpec is a method and what goes with it.
type methodSpec struct {
	fn    method
	role  role // what the replaced value is, for the dictionary and the leak check
	json  bool // may replace one key of a JSON column
	value bool // derives from the value it replaces, which must be read
	// valid refuses a value the method cannot derive from (a date that is none).
	valid func(v []byte) error
}

var methods = map[string]methodSpec{
	"staging_email":        {fn: stagingEmail, role: roleEmail, json: true},
	"german_first_name":    {fn: germanFirstName, role: roleFirst, json: true},
	"german_last_name":     {fn: germanLastName, role: roleLast, json: true},
	"german_full_name":     {fn: germanFullName, json: true},
	"blank":                {fn: blank, json: true},
	"blank_street":         {fn: blank, role: roleStreet, json: true},
	"blank_phone":          {fn: blank, role: rolePhone, json: true},
	"staging_password":     {fn: stagingPassword, role: rolePassword},
	"scrubbed_text":        {fn: constant(ScrubbedText), role: roleBody, json: true},
	"placeholder_png":      {fn: placeholderPNG},
	"placeholder_png_size": {fn: placeholderPNGSize},
	"cohort_birth_date":    {fn: cohortBirthDate, role: roleBirthDate, value: true, valid: validDate},
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
	msg := append(a.macIn[:0], row.Table...)
	msg = append(msg, 0)
	if row.ID != nil {
		msg = append(msg, row.ID...)
	} else {
		msg = strconv.AppendInt(msg, row.Seq, 10) // rowIdentity
	}
	return a.mac(&a.nameMAC, a.salt, msg)
}

// valueHash is the keyed hash that picks the replacement of a value: keyed by the
// import's own key, which is never stored (see Anonymizer.importKey).
func (a *Anonymizer) valueHash(kind string, value []byte) [sha256.Size]byte {
	msg := append(a.macIn[:0], kind...)
	msg = append(msg, 0)
	return a.mac(&a.valueMAC, a.importKey, append(msg, value...))
}

// mac is the HMAC of msg under key. *m is made on first use and reset after: an
// HMAC keeps its keyed state, so a reset costs less than a new one (hmac.New was
// a third of the anonymizer's hashing time, once per name replaced), and msg is
// written at once from a.macIn, which it keeps for the next.
func (a *Anonymizer) mac(m *hash.Hash, key, msg []byte) [sha256.Size]byte {
	if *m == nil {
		*m = hmac.New(sha256.New, key)
	} else {
		(*m).Reset()
	}
	(*m).Write(msg)
	a.macIn = msg
	var sum [sha256.Size]byte
	a.macOut = (*m).Sum(a.macOut[:0])
	copy(sum[:], a.macOut)
	return sum
}

// fakeFirst and fakeLast pick a row's fake names from its keyed hash.
func fakeFirst(h [sha256.Size]byte) string {
	return germanFirstNames[binary.BigEndian.Uint64(h[0:8])%uint64(len(germanFirstNames))]
}

func fakeLast(h [sha256.Size]byte) string {
	return germanLastNames[binary.BigEndian.Uint64(h[8:16])%uint64(len(germanLastNames))]
}

func germanFirstName(a *Anonymizer, dst []byte, row Row) ([]byte, bool) {
	return append(dst, fakeFirst(a.nameHash(row))...), false
}

func germanLastName(a *Anonymizer, dst []byte, row Row) ([]byte, bool) {
	return append(dst, fakeLast(a.nameHash(row))...), false
}

// germanFullName is a first and last name, for a JSON key that holds both.
func germanFullName(a *Anonymizer, dst []byte, row Row) ([]byte, bool) {
	h := a.nameHash(row)
	dst = append(dst, fakeFirst(h)...)
	dst = append(dst, ' ')
	return append(dst, fakeLast(h)...), false
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
