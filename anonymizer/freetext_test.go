package anonymizer

import (
	"crypto/sha256"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestRareTokensGetFakesOfTheirKind: in kept free text, a word nobody else wrote
// gets a made-up word of its length, a name a fake name, digits fake digits of the
// same shape, an IBAN a valid fake IBAN, a production birth date the student's fake
// birth date in the same spelling; common words, short numbers and ordinary dates
// stay. One import gives the same token the same fake.
func TestRareTokensGetFakesOfTheirKind(t *testing.T) {
	t.Parallel()
	users := append(testUsers[:3:3], testUser{id: 10, email: "b.krause@example.org", first: "Bernd", last: "Krause"})
	a := newImport(t, nil, users, testStudents)
	allow(t, a, schoolWords...)
	allow(t, a, append(schoolWords, "Oma geb Konto Screenshot at png IMG HEIC Kassenliste Klassenkasse xlsx PXL jpg Elternabend am Dienstag")...)
	row := Row{ID: []byte("100"), Refs: []Ref{{Column: "sender_id", People: 0, ID: 7}}}
	sub := func(in string) string { return scrub(t, a, "messages", "subject", row, in) }
	lotteFake := a.fakeBirthDate("students", []byte("21"), time.Date(2011, 8, 20, 0, 0, 0, 0, time.UTC))

	for _, keep := range []string{"IMG_5662.HEIC", "Screenshot 2026-11-02 at 09.41.1234.png", "Kassenliste_Klassenkasse.xlsx",
		"PXL_20261012_4711.jpg", "Elternabend am Dienstag, 3. Dezember 2026", "Zoo 2026-11-25, 12,50 € für 3 Kinder"} {
		if got := sub(keep); got != keep {
			t.Errorf("%q: got %q, want it unchanged", keep, got)
		}
	}
	for in, must := range map[string]*regexp.Regexp{
		// Genitives and names written joined are rare words.
		"Straßburgers Lebensgefährtin": regexp.MustCompile(`^[A-Z][a-z]{11} [A-Z][a-z]{14}$`),
		"JoerdisWeissenboeck.pdf":      regexp.MustCompile(`^[A-Z][a-z]{18}\.pdf$`),
		// A person nobody knows, next to a production name: a fake first name.
		"Oma Hildegard Krause":                regexp.MustCompile(`^Oma [A-ZÄÖÜ][a-zäöüß]+ [A-ZÄÖÜ][a-zäöüß]+$`),
		"xdyhxaq (at) gmail (dot) com":        regexp.MustCompile(`^[a-z]{7} \([a-z]{2}\) [a-z]{5} \([a-z]{3}\) [a-z]{3}$`),
		"Tel 0151 2345678, +49 (0)30 1234567": regexp.MustCompile(`^Tel 0\d{3} \d{7}, \+\d{2} \(\d\)\d{2} \d{7}$`),
		"Konto DE89 3704 0044 0532 0130 00":   regexp.MustCompile(`^Konto DE\d{2} \d{4} \d{4} \d{4} \d{4} \d{2}$`),
		"Konto DE89370400440532013000":        regexp.MustCompile(`^Konto DE\d{20}$`),
		"PLZ 10115 Berlin":                    regexp.MustCompile(`^[A-Z]{3} [1-9]\d{4} [A-Z][a-z]{5}$`),
	} {
		got := sub(in)
		if !must.MatchString(got) {
			t.Errorf("%q: got %q, want a fake of the same shape (%s)", in, got, must)
		}
		for _, w := range strings.FieldsFunc(in, func(r rune) bool { return !isLetter(r) && !isDigit(r) }) {
			if utf8.RuneCountInString(w) > 3 && !a.allow.has(canon(nil, []byte(w))) && strings.Contains(got, w) {
				t.Errorf("%q: got %q, which still holds %q", in, got, w)
			}
		}
		if again := sub(in); again != got {
			t.Errorf("%q: one import gave %q, then %q", in, got, again)
		}
	}
	// IBANs stay valid.
	for _, in := range []string{"Konto DE89 3704 0044 0532 0130 00", "Konto DE89370400440532013000"} {
		iban := strings.ReplaceAll(strings.TrimPrefix(sub(in), "Konto "), " ", "")
		if !validIBAN([]byte(iban)) || iban == "DE89370400440532013000" {
			t.Errorf("%q: fake IBAN %q is not a valid one, or the real one", in, iban)
		}
	}
	// A production birth date, in any spelling, becomes the student's fake one.
	for in, want := range map[string]string{
		"Elisa Brandt, geb. 20.08.2011": "geb. " + lotteFake.Format("02.01.2006"),
		"geb. 20.8.2011":                "geb. " + strings.TrimPrefix(strings.Replace(lotteFake.Format("2.01.2006"), ".0", ".", 1), "0"),
		"2011-08-20":                    lotteFake.Format(time.DateOnly),
		"IMG_20110820.jpg":              "IMG_" + lotteFake.Format("20060102") + ".jpg",
		"20. August 2011":               lotteFake.Format("02") + ". " + germanMonths[lotteFake.Month()-1] + " " + lotteFake.Format("2006"),
		"geb. 20.08.11":                 "geb. " + lotteFake.Format("02.01.06"),
	} {
		if got := sub(in); !strings.HasSuffix(strings.TrimSuffix(got, ".jpg"), strings.TrimSuffix(want, ".jpg")) || strings.Contains(got, "2011-08-20") {
			t.Errorf("%q: got %q, want it to end in %q", in, got, want)
		}
	}
	if lc := a.LeakCheck(); lc.Found != 0 {
		t.Errorf("leak check of what was written: %+v", lc.Findings)
	}
}

// TestJSONKeysAndNumbersAreFreeTextToo: a name used as a key is replaced, and a
// number that could be a phone number or a birth date is treated like digits in
// text, staying a number.
func TestJSONKeysAndNumbersAreFreeTextToo(t *testing.T) {
	t.Parallel()
	a := newImport(t, nil, testUsers, testStudents)
	allow(t, a, schoolWords...)
	allow(t, a, append(schoolWords, "theme dark version big")...)
	doc := `{"Unverwechselbar": {"theme": "dark"}, "version": 3, "big": 491705550001, "n": 20190901, "m": 12345678, "x": -77, "y": 2.5e7}`
	got := scrub(t, a, "parental_letters", "metadata", Row{ID: []byte("1")}, doc)
	for _, bad := range []string{"Unverwechselbar", "491705550001", "20190901", "12345678"} {
		if strings.Contains(got, bad) {
			t.Errorf("metadata still holds %s: %s", bad, got)
		}
	}
	lotte22 := a.fakeBirthDate("students", []byte("22"), time.Date(2019, 9, 1, 0, 0, 0, 0, time.UTC)).Format("20060102")
	if !regexp.MustCompile(`^\{"[A-ZÄÖÜ][a-zäöüß]+":\{"theme":"dark"\},"version":3,"big":[1-9]\d{11},"n":` + lotte22 + `,"m":[1-9]\d{7},"x":-77,"y":2.5e7\}$`).MatchString(got) {
		t.Errorf("metadata: got %s", got)
	}
	if lc := a.LeakCheck(); lc.Found != 0 {
		t.Errorf("leak check: %+v", lc.Findings)
	}
}

// TestFakeIBANNeverKeepsTheCheckDigits: over 2,000 hashes, the fake of an IBAN
// is a valid IBAN whose check digits are never the original's, which about one
// draw in 97 would give if the account part were drawn once.
func TestFakeIBANNeverKeepsTheCheckDigits(t *testing.T) {
	t.Parallel()
	const orig = "DE89 3704 0044 0532 0130 00"
	for i := range 2000 {
		h := sha256.Sum256([]byte{byte(i), byte(i >> 8)})
		got := string(fakeIBAN(nil, []byte(orig), h))
		if strings.HasPrefix(got, "DE89") || !validIBAN([]byte(strings.ReplaceAll(got, " ", ""))) || len(got) != len(orig) {
			t.Fatalf("hash %d: fake of %q is %q", i, orig, got)
		}
	}
}
