package demodata

import (
	"math/rand/v2"
	"strconv"
)

var letterColumns = []string{
	"id", "created_at", "updated_at", "deleted_at", "author_id", "school_class_id", "title",
	"body", "published_at", "requires_acknowledgement", "due_date", "fee_amount", "metadata",
}

var ackColumns = []string{
	"id", "created_at", "updated_at", "parental_letter_id", "parent_id", "student_id",
	"acknowledged_at", "comment",
}

// lettersPerClass is the average number of parental letters per class and year.
const lettersPerClass = 20

// ackRate is the share of students whose parents acknowledge a letter that asks for it.
const ackRate = 0.7

// ackableLetter is a published letter that asks for acknowledgement, remembered
// for the acknowledgements table.
type ackableLetter struct {
	id        int32
	class     int32
	published int64
}

// feeAmounts are typical fees; the generator adds arbitrary cents too.
var feeAmounts = []string{"0.00", "2.50", "5.00", "10.00", "12.00", "35.50", "180.00", "245.00", "1234.56"}

func (g *generator) letters(rw *rowWriter) error {
	r := newRand(g.cfg.Seed, streamLetters)
	p := g.p
	tb := &textBuilder{v: g.v, buf: make([]byte, 0, 4096)}
	id := int32(0)
	for ci, c := range p.classes {
		cls := int32(ci + 1)
		// Letters go out from mid-August to mid-July, up to now.
		from := schoolYearStart(c.year) + 14*microsPerDay
		to := min(schoolYearStart(c.year+1)-14*microsPerDay, p.now)
		if to <= from {
			from = to - 7*microsPerDay
		}
		k := int64(lettersPerClass/2 + r.IntN(lettersPerClass+1))
		step := (to - from) / k
		name := className(c)
		for j := range k {
			id++
			l := letter{id: id, class: cls, className: name, created: from + j*step + r.Int64N(step+1), author: c.teacher}
			if l.author == 0 || chance(r, 0.15) {
				l.author = pick(r, p.admins)
			}
			if !chance(r, 0.05) {
				l.published = min(l.created+r.Int64N(3*microsPerDay), p.now)
			}
			if chance(r, softDeleteRate) {
				l.deleted = l.created + r.Int64N(p.now-l.created+1)
			}
			l.requiresAck = chance(r, 0.6)
			if err := g.letter(rw, r, tb, l); err != nil {
				return err
			}
		}
	}
	return nil
}

// letter is one parental letter, as far as letters has drawn it.
type letter struct {
	id, class                   int32
	className                   string
	created, published, deleted int64 // 0: not published, not deleted
	author                      int32
	requiresAck                 bool
}

// letter writes one letter's row, draws the rest of it (title, body, due date,
// fee, metadata), and remembers it for the acknowledgements and attachments.
func (g *generator) letter(rw *rowWriter, r *rand.Rand, tb *textBuilder, l letter) error {
	rw.int(int64(l.id))
	rw.ts(l.created)
	rw.ts(max(l.created, l.published, l.deleted))
	rw.tsOrNull(l.deleted)
	rw.int(int64(l.author))
	rw.int(int64(l.class))
	title := pick(r, letterTitles)
	rw.text(title)
	first, last := g.userName(l.author)
	rw.textBytes(tb.letterBody(r, l.className, title, first, last))
	rw.tsOrNull(l.published)
	rw.bool(l.requiresAck)
	// Most letters that ask for a signature set a deadline; a few others do too.
	if l.requiresAck && chance(r, 0.75) || !l.requiresAck && chance(r, 0.1) {
		rw.date(day(max(l.published, l.created)) + 7 + r.Int64N(15))
	} else {
		rw.null()
	}
	switch x := r.IntN(100); {
	case x < 15:
		rw.raw(pick(r, feeAmounts))
	case x < 25:
		rw.raw(strconv.Itoa(r.IntN(300)) + "." + strconv.Itoa(10+r.IntN(90)))
	default:
		rw.null()
	}
	switch x := r.IntN(100); {
	case x < 35:
		rw.null()
	case x < 45:
		rw.raw("{}")
	default:
		rw.text(pick(r, g.metadata))
	}
	if l.requiresAck && l.published != 0 && l.deleted == 0 {
		g.ackable = append(g.ackable, ackableLetter{id: l.id, class: l.class, published: l.published})
	}
	if chance(r, letterAttachmentRate) {
		n := 1
		if chance(r, 0.1) {
			n = 2 + r.IntN(2)
		}
		for range n {
			g.pending = append(g.pending, pendingAttachment{created: l.created, owner: l.id, letter: true, deleted: l.deleted != 0})
		}
	}
	return rw.endRow()
}

// acknowledgements writes, for most students of each class, their parent's
// acknowledgement of the class's letters that ask for one.
func (g *generator) acknowledgements(rw *rowWriter) error {
	r := newRand(g.cfg.Seed, streamAcks)
	p := g.p
	id := int64(0)
	for _, l := range g.ackable {
		for _, s := range p.studentsOf(l.class) {
			if !chance(r, ackRate) {
				continue
			}
			x := r.Float64()
			acked := l.published + int64(x*x*float64(10*microsPerDay)) + r.Int64N(microsPerHour)
			if acked > p.now {
				continue
			}
			id++
			rw.int(id)
			rw.ts(acked)
			if chance(r, 0.05) {
				rw.ts(acked + r.Int64N(p.now-acked+1))
			} else {
				rw.ts(acked)
			}
			rw.int(int64(l.id))
			rw.int(int64(p.studentParent[s-1]))
			rw.int(int64(s))
			rw.ts(acked)
			optionalText(rw, r, r.IntN(100), 80, 85, ackComments)
			if err := rw.endRow(); err != nil {
				return err
			}
		}
	}
	return nil
}

// ackEstimate is the expected number of acknowledgements, for progress reports.
func (g *generator) ackEstimate() int64 {
	var n int64
	for _, l := range g.ackable {
		n += int64(len(g.p.studentsOf(l.class)))
	}
	return int64(float64(n) * ackRate)
}
