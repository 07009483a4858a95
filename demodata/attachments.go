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

// attachments are loaded in COPY's binary format: the payload is most of the
// database, and raw bytes are half the size of hex text and need no parsing.
func (g *generator) attachments(rw *rowWriter) error {
	r := newRand(g.cfg.Seed, streamAttachments)
	// The payload comes from its own generator, called directly: it is the hot loop.
	data := rand.NewPCG(g.cfg.Seed, streamAttachments<<32)
	avg := float64(g.cfg.AttachmentKB) * 1024
	rw.binaryHeader()
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

		rw.binaryRow(len(attachmentColumns))
		rw.binaryInt8(int64(i + 1))
		rw.binaryTimestamp(created)
		rw.binaryTimestamp(max(created, deleted))
		rw.binaryTimestampOrNull(deleted)
		if a.letter {
			rw.binaryNull()
			rw.binaryInt8(int64(a.owner))
		} else {
			rw.binaryInt8(int64(a.owner))
			rw.binaryNull()
		}
		rw.binaryText(name)
		rw.binaryText(k.mime)
		rw.binaryInt8(int64(size))
		if err := rw.binaryRandom(k.magic, size, data); err != nil {
			return err
		}
		g.attachmentBytes += int64(size)
		if err := rw.endBinaryRow(); err != nil {
			return err
		}
	}
	rw.binaryTrailer()
	return nil
}
