package demodata

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Message bodies are 50–2000 characters long, most of them a few hundred.
const (
	minBodyLen = 50
	maxBodyLen = 2000
)

// textBuilder composes the free text of one row into a reused buffer.
type textBuilder struct {
	v   *vocab
	buf []byte
}

func (tb *textBuilder) reset() { tb.buf = tb.buf[:0] }

func (tb *textBuilder) str(s string) { tb.buf = append(tb.buf, s...) }

// sentence appends one sentence: mostly German school talk in the writer's
// voice, sometimes faker's lorem ipsum (pasted drafts, forwarded boilerplate).
func (tb *textBuilder) sentence(r *rand.Rand, voice []string) {
	switch x := r.IntN(10); {
	case x == 0:
		tb.str(pick(r, tb.v.lorem))
	case x < 3:
		tb.str(pick(r, commonSentences))
	default:
		tb.str(pick(r, voice))
	}
}

// paragraphs appends sentences until the text is about target bytes long,
// breaking paragraphs the way people do (some clients send CRLF).
func (tb *textBuilder) paragraphs(r *rand.Rand, voice []string, target int, crlf bool) {
	start := len(tb.buf)
	for len(tb.buf)-start < target {
		if len(tb.buf) > start {
			switch x := r.IntN(8); {
			case x < 2 && crlf:
				tb.str("\r\n\r\n")
			case x < 2:
				tb.str("\n\n")
			case x == 2:
				tb.str("\n")
			default:
				tb.str(" ")
			}
		}
		tb.sentence(r, voice)
	}
}

// messageBody writes a message from one person to another: salutation, text,
// closing, sometimes a mail-client signature or a quoted earlier message.
func (tb *textBuilder) messageBody(r *rand.Rand, voice []string, fromFirst, fromLast, toFirst, toLast string, toFemale bool) []byte {
	tb.reset()
	// Skewed towards short messages, with a long tail up to the maximum.
	x := r.Float64()
	target := minBodyLen + int(float64(maxBodyLen-minBodyLen)*x*x*x)
	crlf := r.IntN(20) == 0
	switch r.IntN(6) {
	case 0:
		tb.str("Hallo ")
		tb.str(toFirst)
		tb.str(",\n\n")
	case 1:
		tb.str("Guten Morgen,\n\n")
	case 2:
		tb.str("Hi 👋 ")
	default:
		g := greetingsFormal[r.IntN(2)*2]
		if !toFemale {
			g = greetingsFormal[1+r.IntN(2)*2]
		}
		tb.buf = fmt.Appendf(tb.buf, g, toLast)
		tb.str("\n\n")
	}
	tb.paragraphs(r, voice, max(target-len(tb.buf)-30, minBodyLen), crlf)
	tb.str("\n\n")
	tb.buf = fmt.Appendf(tb.buf, pick(r, closings), fromFirst+" "+fromLast)
	if r.IntN(8) == 0 {
		tb.str(pick(r, signatures))
	}
	tb.buf = truncateRunes(tb.buf, maxBodyLen)
	return tb.buf
}

// letterBody writes a parental letter: longer and more formal than a message.
func (tb *textBuilder) letterBody(r *rand.Rand, class, title, authorFirst, authorLast string) []byte {
	tb.reset()
	tb.str("Liebe Eltern der Klasse ")
	tb.str(class)
	tb.str(",\n\n")
	tb.str(title)
	tb.str(":\n")
	tb.paragraphs(r, teacherSentences, 200+r.IntN(2800), false)
	if r.IntN(3) == 0 {
		tb.str("\n\n-----------------------------------------------------\nRückmeldezettel (bitte bis zum Fälligkeitsdatum abgeben)\n\nName des Kindes: ____________________\t Klasse: ______\n\n[ ] Mein Kind nimmt teil.\n[ ] Mein Kind nimmt nicht teil.\n\nUnterschrift: ____________________")
	}
	tb.str("\n\nMit freundlichen Grüßen\n")
	tb.str(authorFirst)
	tb.str(" ")
	tb.str(authorLast)
	return tb.buf
}

// subject returns a message subject; a few are empty, as real ones are.
func subject(r *rand.Rand, childFirst string) string {
	switch x := r.IntN(200); {
	case x == 0:
		return ""
	case x < 20 && childFirst != "":
		return "Krankmeldung " + childFirst
	case x < 30:
		return "Elternabend am " + pick(r, weekdays)
	case x < 40:
		return "Re: " + pick(r, subjectsDE)
	}
	return pick(r, subjectsDE)
}

// ascii transliterates a name for use in an e-mail address.
func ascii(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-':
			b.WriteRune(c)
		case c == 'ä':
			b.WriteString("ae")
		case c == 'ö':
			b.WriteString("oe")
		case c == 'ü':
			b.WriteString("ue")
		case c == 'ß':
			b.WriteString("ss")
		case c == 'œ':
			b.WriteString("oe")
		default:
			if r, ok := foldDiacritic[c]; ok {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

var foldDiacritic = map[rune]rune{
	'é': 'e', 'è': 'e', 'ë': 'e', 'ê': 'e', 'á': 'a', 'à': 'a', 'ą': 'a', 'ç': 'c', 'č': 'c',
	'ć': 'c', 'ğ': 'g', 'ı': 'i', 'ï': 'i', 'í': 'i', 'ł': 'l', 'ń': 'n', 'ó': 'o', 'ş': 's',
	'ś': 's', 'š': 's', 'ž': 'z', 'ź': 'z', 'ż': 'z', 'ú': 'u', 'ñ': 'n', 'ø': 'o',
}

// germanPhone returns a German landline or mobile number in one of the many
// spellings people type.
func germanPhone(r *rand.Rand, c city) string {
	digits := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + r.IntN(10))
		}
		if b[0] == '0' {
			b[0] = '1' + byte(r.IntN(9))
		}
		return string(b)
	}
	mobile := "01" + pick(r, []string{"51", "52", "57", "59", "60", "62", "70", "71", "72", "73", "75", "76", "77", "78", "79"})
	switch r.IntN(8) {
	case 0:
		return "+49 " + c.area[1:] + " " + digits(7)
	case 1:
		return c.area + " / " + digits(3) + " " + digits(2) + " " + digits(2)
	case 2:
		return "+49 (0)" + c.area[1:] + " " + digits(5) + "-" + digits(3)
	case 3:
		return c.area + "-" + digits(6)
	case 4:
		return mobile + " " + digits(8)
	case 5:
		return "+49 " + mobile[1:] + " " + digits(7)
	case 6:
		return mobile + "-" + digits(7)
	}
	return "(" + c.area + ") " + digits(6)
}

func streetAddress(r *rand.Rand) string {
	s := pick(r, streetNames) + " " + strconv.Itoa(1+r.IntN(180))
	switch r.IntN(20) {
	case 0:
		s += "a"
	case 1:
		s += "b, Hinterhaus"
	case 2:
		s += ", 3. OG links"
	case 3:
		s = "c/o Familie \"Sonnenschein\"\n" + s
	}
	return s
}

func postalCode(r *rand.Rand, c city) string {
	return c.postal + fmt.Sprintf("%03d", r.IntN(1000))
}

// jsonDoc encodes v as JSON without HTML escaping (jsonb would normalise it anyway).
func jsonDoc(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err) // only maps, slices and scalars built here
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// preferenceDocs returns users.preferences documents to pick from.
func preferenceDocs(r *rand.Rand) []string {
	docs := []string{"{}"}
	for range 63 {
		m := map[string]any{}
		if chance(r, 0.8) {
			m["notifications"] = map[string]any{
				"email":  chance(r, 0.7),
				"push":   chance(r, 0.5),
				"digest": pick(r, []string{"daily", "weekly", "never"}),
			}
		}
		if chance(r, 0.4) {
			m["theme"] = pick(r, []string{"light", "dark", "system"})
		}
		if chance(r, 0.3) {
			m["signature"] = pick(r, []string{"Viele Grüße\nFamilie Müller", "LG 😊", "— Elternvertretung 5b", "Tel. \"abends\" erreichbar\t(ab 18 Uhr)", `C:\Users\Papa\Signatur.txt`})
		}
		if chance(r, 0.2) {
			m["pinned_classes"] = []int{1 + r.IntN(40), 1 + r.IntN(40)}
		}
		if chance(r, 0.1) {
			m["beta"] = nil
		}
		docs = append(docs, jsonDoc(m))
	}
	return docs
}

// metadataDocs returns parental_letters.metadata documents: nested objects,
// arrays, numbers, booleans, nulls and unicode.
func metadataDocs(r *rand.Rand) []string {
	places := []map[string]any{
		{"name": "Zoo Köln", "address": "Riehler Str. 173, 50735 Köln", "geo": []float64{50.958, 6.973}},
		{"name": "Deutsches Museum", "address": "Museumsinsel 1, 80538 München", "geo": []float64{48.1299, 11.5834}},
		{"name": "Jugendherberge Sylt – Hörnum", "address": "Friesenplatz 2, 25997 Hörnum", "geo": []float64{54.757, 8.293}},
		{"name": "Turnhalle", "address": nil},
	}
	var docs []string
	for range 256 {
		m := map[string]any{"category": pick(r, letterTopics), "version": 1 + r.IntN(4)}
		if chance(r, 0.5) {
			m["location"] = pick(r, places)
		}
		if chance(r, 0.4) {
			m["costs"] = map[string]any{
				"amount":       float64(r.IntN(20000)) / 100,
				"currency":     "EUR",
				"installments": []float64{float64(r.IntN(50)), 12.5},
				"iban_hint":    "DE•• •••• •••• 4711",
			}
		}
		if chance(r, 0.3) {
			m["contact"] = map[string]any{"name": "Frau Dr. Weiß-Öztürk", "phone": "0221 / 12 34 56", "available": []string{"Mo", "Mi", "Fr"}}
		}
		if chance(r, 0.3) {
			m["emoji"] = pick(r, []string{"🦁", "🎄", "📸", "🚌", "⚽️", "🧪", "🏊‍♀️"})
		}
		if chance(r, 0.3) {
			m["flags"] = map[string]any{"photo_consent": chance(r, 0.5), "lunch_provided": chance(r, 0.5), "reminder_sent": nil}
		}
		if chance(r, 0.2) {
			m["note"] = pick(r, []string{"„Bitte pünktlich!“\n\tDanke", `Pfad: \\server\eltern\briefe`, "Zeile 1\r\nZeile 2", "", "Ü Ö Ä ß ẞ"})
		}
		if chance(r, 0.1) {
			m["big"] = 12345678901234
			m["ratio"] = 0.125
			m["empty"] = map[string]any{}
			m["list"] = []any{}
		}
		docs = append(docs, jsonDoc(m))
	}
	return docs
}

// truncateRunes cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncateRunes(s []byte, n int) []byte {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
