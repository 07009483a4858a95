package anonymizer

import (
	"bytes"
	"math/big"
)

// ibanAt finds an IBAN that starts with word token ti ("DE89 3704 0044 0532 0130
// 00", "de89370400440532013000"): a country's two letters, two check digits and
// up to 30 letters and digits, in groups or not, whose check digits hold
// (ISO 13616: the number mod 97 is 1). It returns where the IBAN ends, or 0.
func (m *matcher) ibanAt(ti int) int {
	t := m.toks[ti]
	src := m.src
	if t.number || t.end-t.start != 2 || ti+1 >= len(m.toks) || m.toks[ti+1].start != t.end || !m.toks[ti+1].number ||
		(t.start > 0 && isAlnum(src[t.start-1])) {
		return 0
	}
	var chars []byte // the IBAN without its spaces, upper case
	var ends []int   // where in src each of chars ends
	for i := t.start; i < len(src) && len(chars) < 34; i++ {
		c := src[i]
		if c == ' ' && i > t.start && src[i-1] != ' ' && i+1 < len(src) && isAlnum(src[i+1]) {
			continue
		}
		if !isAlnum(c) {
			break
		}
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		chars = append(chars, c)
		ends = append(ends, i+1)
	}
	for n := len(chars); n >= 15; n-- {
		end := ends[n-1]
		if end < len(src) && isAlnum(src[end]) {
			continue // in the middle of a group
		}
		if validIBAN(chars[:n]) {
			return end
		}
	}
	return 0
}

// validIBAN checks an IBAN's form and check digits.
func validIBAN(iban []byte) bool {
	if len(iban) < 15 || len(iban) > 34 || !isUpper(iban[0]) || !isUpper(iban[1]) || !isDigitByte(iban[2]) || !isDigitByte(iban[3]) {
		return false
	}
	return ibanMod97(iban) == 1
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

// ibanMod97 is the IBAN's number (its first four characters moved to the end,
// letters as 10 to 35) mod 97.
func ibanMod97(iban []byte) int64 {
	var digits bytes.Buffer
	for _, c := range append(append([]byte{}, iban[4:]...), iban[:4]...) {
		switch {
		case isDigitByte(c):
			digits.WriteByte(c)
		case isUpper(c):
			digits.WriteString(itoa(int(c-'A') + 10))
		default:
			return -1
		}
	}
	n, ok := new(big.Int).SetString(digits.String(), 10)
	if !ok {
		return -1
	}
	return new(big.Int).Mod(n, big.NewInt(97)).Int64()
}

func itoa(n int) string { return string(appendPadded(nil, n, 1)) }

// genericPhoneDigits bounds the phone numbers found by their shape alone: from 7
// digits (a local number with its area code) to 15 (the most E.164 allows).
const (
	minGenericPhoneDigits = 7
	maxGenericPhoneDigits = 15
)

// phoneShapeAt finds a phone number by its shape at number token t, whoever's it
// is: a '+' or a leading 0, then groups of digits joined by " /-()" ("0171
// 2345678", "+49 (0)30 123 45 67", "0221/123456"). Dots are not among the
// separators: "09.41.5662" is a time and a number in a screenshot's name. It
// returns where the number ends, or 0.
func (m *matcher) phoneShapeAt(t token) int {
	start := phoneStart(m.src, t)
	if (start == t.start && m.src[t.start] != '0') || (start > 0 && isAlnum(m.src[start-1])) {
		return 0
	}
	best := 0
	for _, end := range phoneRuns(m.src, start, " /-()") {
		n := 0
		for _, c := range m.src[start:end] {
			if isDigitByte(c) {
				n++
			}
		}
		if n > maxGenericPhoneDigits {
			break
		}
		if n >= minGenericPhoneDigits {
			best = end
		}
	}
	return best
}
