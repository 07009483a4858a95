package demodata

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

var attachmentColumns = []string{
	"id", "created_at", "updated_at", "deleted_at", "message_id", "parental_letter_id",
	"filename", "mime_type", "size_bytes", "data",
}

// fileKind is a kind of file people attach: how it is named, its MIME type and the
// magic bytes its content starts with (the rest is random, so it does not compress).
type fileKind struct {
	mime   string
	magic  string
	names  []string // fmt patterns; %d gets a number
	letter bool     // typical for parental letters rather than messages
}

var fileKinds = []fileKind{
	{"application/pdf", "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", []string{
		"Elternbrief_Ausflug.pdf", "Einverständniserklärung_Klassenfahrt.pdf", "Stundenplan_2026-27.pdf",
		"Speiseplan KW %d.pdf", "Elternbrief Nr. %d.pdf", "Anmeldung Förderverein (ausgefüllt).pdf",
		"Packliste_Skifahrt.pdf", "Attest_%d.pdf", "Scan_%d.pdf",
	}, true},
	{"image/jpeg", "\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01", []string{
		"foto-%d.jpg", "IMG_%d.jpg", "PXL_20261012_%d.jpg", "WhatsApp Image 2026-10-03 at 14.22.%d.jpeg",
		"Klassenfoto 🎉 %d.jpg",
	}, false},
	{"image/png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", []string{
		"Screenshot 2026-11-02 at 09.41.%d.png", "Bildschirmfoto_%d.png", "Hausaufgaben-%d.png",
	}, false},
	{"image/heic", "\x00\x00\x00\x18ftypheic", []string{"IMG_%d.HEIC"}, false},
	{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "PK\x03\x04\x14\x00\x06\x00", []string{
		"Protokoll_Elternabend_%d.docx", "Anschreiben Schulleitung.docx", "Referat Deutsch (final) (2).docx",
	}, true},
	{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "PK\x03\x04\x14\x00\x06\x00", []string{
		"Kassenliste_Klassenkasse.xlsx", "Kuchenliste Sommerfest.xlsx", "Notenübersicht_%d.xlsx",
	}, true},
	{"application/zip", "PK\x03\x04\x0a\x00\x00\x00", []string{"Fotos_Wandertag_%d.zip"}, false},
	{"video/mp4", "\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", []string{"Video Sommerfest %d.mp4", "VID_%d.mp4"}, false},
}

func (g *generator) attachments(rw *rowWriter) error {
	r := newRand(g.cfg.Seed, streamAttachments)
	// The payload comes from its own generator, called directly: it is the hot loop.
	data := rand.NewPCG(g.cfg.Seed, streamAttachments<<32)
	avg := float64(g.cfg.AttachmentKB) * 1024
	for i, a := range g.pending {
		k := pick(r, fileKinds)
		if a.letter && !k.letter && chance(r, 0.6) {
			k = fileKinds[0]
		}
		name := pick(r, k.names)
		if strings.Contains(name, "%d") {
			name = fmt.Sprintf(name, 1000+r.IntN(9000))
		}
		size := int(avg * (0.25 + 1.75*r.Float64()))
		created := a.created + r.Int64N(microsPerSecond)
		deleted := int64(0)
		if a.deleted || chance(r, softDeleteRate/2) {
			deleted = created + r.Int64N(g.p.now-created+1)
		}

		rw.int(int64(i + 1))
		rw.ts(created)
		rw.ts(max(created, deleted))
		rw.tsOrNull(deleted)
		if a.letter {
			rw.null()
			rw.int(int64(a.owner))
		} else {
			rw.int(int64(a.owner))
			rw.null()
		}
		rw.text(name)
		rw.raw(k.mime)
		rw.int(int64(size))
		if err := rw.randomBytea(k.magic, size, data); err != nil {
			return err
		}
		g.attachmentBytes += int64(size)
		if err := rw.endRow(); err != nil {
			return err
		}
	}
	return nil
}

// hexPairs maps a byte to its two lower-case hex digits.
var hexPairs = func() (t [256][2]byte) {
	const digits = "0123456789abcdef"
	for i := range t {
		t[i] = [2]byte{digits[i>>4], digits[i&15]}
	}
	return t
}()

// randomBytea writes a bytea of n bytes, starting with magic and continuing with
// random bytes, in COPY's hex form (\\x…). Large values are flushed as they are
// written, so memory stays flat whatever the attachment size.
func (rw *rowWriter) randomBytea(magic string, n int, src *rand.PCG) error {
	rw.buf = append(rw.buf, '\\', '\\', 'x')
	m := min(len(magic), n)
	for i := range m {
		p := hexPairs[magic[i]]
		rw.buf = append(rw.buf, p[0], p[1])
	}
	left := n - m
	const chunk = 32 << 10 // bytes of payload per round
	for left > 0 {
		c := min(left, chunk)
		start := len(rw.buf)
		rw.buf = append(rw.buf, make([]byte, 2*c)...)
		dst := rw.buf[start:]
		i := 0
		for ; i+8 <= c; i += 8 {
			u := src.Uint64()
			d := dst[2*i : 2*i+16 : 2*i+16]
			for j := range 8 {
				p := hexPairs[byte(u>>(8*j))]
				d[2*j], d[2*j+1] = p[0], p[1]
			}
		}
		if i < c {
			u := src.Uint64()
			for ; i < c; i++ {
				p := hexPairs[byte(u)]
				dst[2*i], dst[2*i+1] = p[0], p[1]
				u >>= 8
			}
		}
		left -= c
		if len(rw.buf) >= flushSize {
			if err := rw.flush(); err != nil {
				return err
			}
		}
	}
	rw.buf = append(rw.buf, '\t')
	return nil
}
