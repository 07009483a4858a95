package anonymizer

import (
	"crypto/sha256"
	"encoding/binary"
	"unicode"
	"unicode/utf8"
)

// A rare token is replaced by a fake of its kind and shape, picked by the
// import's own key from the token itself (Anonymizer.valueHash): the same token
// gets the same fake throughout one import, and no import can be made to say
// which token a fake stands for.

// stream draws numbers from a value's keyed hash, rehashing when it runs out.
type stream struct {
	h [sha256.Size]byte
	i int
}

func (s *stream) next(n int) int {
	if s.i+8 > len(s.h) {
		s.h, s.i = sha256.Sum256(s.h[:]), 0
	}
	v := binary.BigEndian.Uint64(s.h[s.i:])
	s.i += 8
	return int(v % uint64(n))
}

// fakeDigits writes a fake of the digits in orig, keeping everything else (the
// separators of a phone number): the same count of digits, a leading zero where
// orig has one (a German phone number's), no leading zero where it has none.
// The fake always differs from orig.
func fakeDigits(dst, orig []byte, h [sha256.Size]byte) []byte {
	s := stream{h: h}
	start := len(dst)
	first := true
	for _, c := range orig {
		if !isDigitByte(c) {
			dst = append(dst, c)
			continue
		}
		d := byte('0' + s.next(10))
		switch {
		case first && c == '0':
			d = '0'
		case first:
			d = byte('1' + s.next(9))
		}
		first = false
		dst = append(dst, d)
	}
	if string(dst[start:]) == string(orig) {
		// Change the last digit: one fake in ten digits' worth is the original.
		for i := len(dst) - 1; i >= start; i-- {
			if isDigitByte(dst[i]) && i > start {
				dst[i] = '0' + (dst[i]-'0'+1)%10
				break
			}
		}
	}
	return dst
}

// pseudoWord writes a made-up word in place of orig: as many letters, in
// syllables people can read, capitalized as orig is. It is no word of any
// language on purpose: a rare word may be a name, a street or anything else.
func pseudoWord(dst, orig []byte, h [sha256.Size]byte) []byte {
	const consonants, vowels = "bdfgklmnprstvz", "aeiou"
	s := stream{h: h}
	n := utf8.RuneCount(orig)
	first, _ := utf8.DecodeRune(orig)
	upperFirst := unicode.IsUpper(first)
	allUpper := n > 1 && string(bytesToUpper(orig)) == string(orig)
	for i := 0; i < n; i++ {
		var c byte
		if i%2 == 0 {
			c = consonants[s.next(len(consonants))]
		} else {
			c = vowels[s.next(len(vowels))]
		}
		if allUpper || (i == 0 && upperFirst) {
			c -= 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

func bytesToUpper(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for _, r := range string(b) {
		out = utf8.AppendRune(out, unicode.ToUpper(r))
	}
	return out
}

// fakeIBAN writes a valid IBAN in place of the one written as orig, of the same
// country, length and grouping: its account part is made up, its check digits
// are computed for it.
func fakeIBAN(dst, orig []byte, h [sha256.Size]byte) []byte {
	s := stream{h: h}
	var chars []byte
	for _, c := range orig {
		if c == ' ' {
			continue
		}
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		chars = append(chars, c)
	}
	// The account part is drawn again while the check digits come out as the
	// original's (1 in 97), so that no group of the original IBAN is kept.
	origCheck := [2]byte{chars[2], chars[3]}
	for range 20 {
		for i := 4; i < len(chars); i++ {
			switch {
			case isDigitByte(chars[i]):
				chars[i] = byte('0' + s.next(10))
			case isUpper(chars[i]):
				chars[i] = byte('A' + s.next(26))
			}
		}
		chars[2], chars[3] = '0', '0'
		check := 98 - ibanMod97(chars)
		chars[2], chars[3] = byte('0'+check/10), byte('0'+check%10)
		if [2]byte{chars[2], chars[3]} != origCheck {
			break
		}
	}
	// Back into orig's grouping and case.
	j := 0
	for _, c := range orig {
		if c == ' ' {
			dst = append(dst, ' ')
			continue
		}
		out := chars[j]
		if c >= 'a' && c <= 'z' && isUpper(out) {
			out += 'a' - 'A'
		}
		dst = append(dst, out)
		j++
	}
	return dst
}
