package anonymizer

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"
)

// token is a word or a number in a text: a maximal run of letters, or of digits.
type token struct {
	start, end int
	number     bool
}

// tokenize appends the words and numbers of s to toks.
func tokenize(toks []token, s []byte) []token {
	for i := 0; i < len(s); {
		r, n := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRune(s[i:])
		}
		switch {
		case isDigit(r):
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			toks = append(toks, token{start: i, end: j, number: true})
			i = j
		case isLetter(r):
			j := i + n
			for j < len(s) {
				r2, n2 := rune(s[j]), 1
				if r2 >= utf8.RuneSelf {
					r2, n2 = utf8.DecodeRune(s[j:])
				}
				if !isLetter(r2) {
					break
				}
				j += n2
			}
			toks = append(toks, token{start: i, end: j})
			i = j
		default:
			i += n
		}
	}
	return toks
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func isLetter(r rune) bool {
	if r < utf8.RuneSelf {
		return r|0x20 >= 'a' && r|0x20 <= 'z'
	}
	return unicode.IsLetter(r) || unicode.Is(unicode.Mn, r)
}

// only reports whether s[from:to] holds nothing but bytes in set.
func only(s []byte, from, to int, set string) bool {
	for i := from; i < to; i++ {
		if strings.IndexByte(set, s[i]) < 0 {
			return false
		}
	}
	return true
}

// lowerInto appends the lower-case form of s to dst.
func lowerInto(dst, s []byte) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(s[i:])
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
		i += n
	}
	return dst
}

// canon appends the canonical spelling of a word to dst, the one key under which
// the dictionary files it: lower case, in ASCII, with umlauts however they are
// typed ("Müller", "Mueller", "Muller" and "MÜLLER" are all "muler"). Two different
// names may share a key; then both are replaced, which errs on the safe side.
func canon(dst, w []byte) []byte {
	start := len(dst)
	for i := 0; i < len(w); {
		if w[i] < utf8.RuneSelf {
			// Most words are ASCII: lower-cased a run at a time.
			j := i + 1
			for j < len(w) && w[j] < utf8.RuneSelf {
				j++
			}
			dst = lowerInto(dst, w[i:j])
			i = j
			continue
		}
		r, n := utf8.DecodeRune(w[i:])
		i += n
		r = unicode.ToLower(r)
		if r < utf8.RuneSelf {
			dst = append(dst, byte(r))
		} else if f, ok := foldings[1][r]; ok {
			dst = append(dst, f...)
		} else if d, ok := diacritics[r]; ok {
			dst = append(dst, byte(d))
		} else {
			dst = utf8.AppendRune(dst, r)
		}
	}
	// "ae", "oe", "ue" and "ss" are how umlauts and ß are typed without them.
	out, j := dst[start:], 0
	for i := 0; i < len(out); i++ {
		c := out[i]
		out[j] = c
		j++
		if i+1 < len(out) && ((c == 'a' || c == 'o' || c == 'u') && out[i+1] == 'e' || c == 's' && out[i+1] == 's') {
			i++
		}
	}
	return dst[:start+j]
}

// foldings spell umlauts and other letters the two ways people type them without
// those letters: "Müller" as "Mueller" and as "Muller".
var foldings = [2]map[rune]string{
	{'ä': "ae", 'ö': "oe", 'ü': "ue", 'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "oe", 'å': "aa"},
	{'ä': "a", 'ö': "o", 'ü': "u", 'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'å': "a"},
}

// diacritics are dropped by both foldings.
var diacritics = map[rune]rune{
	'á': 'a', 'à': 'a', 'â': 'a', 'ã': 'a', 'ą': 'a', 'ç': 'c', 'č': 'c', 'ć': 'c', 'ď': 'd', 'é': 'e', 'è': 'e',
	'ê': 'e', 'ë': 'e', 'ę': 'e', 'ě': 'e', 'ğ': 'g', 'í': 'i', 'ì': 'i', 'î': 'i', 'ï': 'i', 'ı': 'i', 'ł': 'l',
	'ñ': 'n', 'ń': 'n', 'ň': 'n', 'ó': 'o', 'ò': 'o', 'ô': 'o', 'õ': 'o', 'ř': 'r', 'ś': 's', 'š': 's', 'ş': 's',
	'ť': 't', 'ú': 'u', 'ù': 'u', 'û': 'u', 'ů': 'u', 'ý': 'y', 'ÿ': 'y', 'ź': 'z', 'ż': 'z', 'ž': 'z',
}

// fold returns the ASCII spelling of a lower-case word by folding k, and whether it
// differs from the word.
func fold(s []byte, k int) ([]byte, bool) {
	var out []byte
	for i, r := range string(s) {
		if r < utf8.RuneSelf {
			if out != nil {
				out = append(out, byte(r))
			}
			continue
		}
		if out == nil {
			out = append(make([]byte, 0, len(s)+4), s[:i]...)
		}
		if f, ok := foldings[k][r]; ok {
			out = append(out, f...)
		} else if d, ok := diacritics[r]; ok {
			out = append(out, byte(d))
		} else {
			out = utf8.AppendRune(out, r)
		}
	}
	if out == nil {
		return s, false
	}
	return out, true
}

// isASCII reports whether s is plain ASCII.
func isASCII(s []byte) bool {
	for _, c := range s {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// matchCase spells a replacement the way the text it replaces was spelled: all
// capitals, all lower case, or as it is; in ASCII when ascii is set.
func matchCase(dst, orig []byte, repl string, ascii bool) []byte {
	r := []byte(repl)
	if ascii && !isASCII(r) {
		f, _ := fold(lowerInto(nil, r), 0)
		if len(f) > 0 && repl[0] >= 'A' && repl[0] <= 'Z' {
			f[0] -= 'a' - 'A'
		}
		r = f
	}
	upper, lower := bytes.ToUpper(orig), bytes.ToLower(orig)
	switch {
	case bytes.Equal(orig, upper) && !bytes.Equal(orig, lower) && utf8.RuneCount(orig) > 1:
		return append(dst, bytes.ToUpper(r)...)
	case bytes.Equal(orig, lower):
		return append(dst, bytes.ToLower(r)...)
	}
	return append(dst, r...)
}
