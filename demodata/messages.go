package demodata

import (
	"math/rand/v2"
)

var messageColumns = []string{
	"id", "created_at", "updated_at", "deleted_at", "sender_id", "recipient_id", "subject",
	"body", "read_at", "tags",
}

// messagesPerUser is the average number of messages per user.
const messagesPerUser = 10

// Attachment rates.
const (
	messageAttachmentRate = 0.05
	letterAttachmentRate  = 0.30
)

// pendingAttachment is an attachment decided while generating its message or
// letter and written later, once its owner exists.
type pendingAttachment struct {
	created int64
	owner   int32 // message or letter id
	letter  bool
	deleted bool
}

func (p *plan) messageCount() int64 {
	if len(p.role) < 2 {
		return 0
	}
	return int64(messagesPerUser * len(p.role))
}

// correspondents picks who writes to whom: mostly parents and the teachers of
// their children's classes, some staff talk, some announcements.
func (g *generator) correspondents(r *rand.Rand) (from, to int32) {
	p := g.p
	anyUser := func() int32 { return int32(1 + r.IntN(len(p.role))) }
	switch x := r.IntN(100); {
	case x < 45 && len(p.parents) > 0:
		from = pick(r, p.parents)
		if c := p.userClass[from-1]; c != 0 && p.classes[c-1].teacher != 0 {
			to = p.classes[c-1].teacher
		} else if len(p.teachers) > 0 {
			to = pick(r, p.teachers)
		}
	case x < 75 && len(p.teachers) > 0:
		from = pick(r, p.teachers)
		if kids := p.studentsOf(p.userClass[from-1]); len(kids) > 0 {
			to = p.studentParent[pick(r, kids)-1]
		} else if len(p.parents) > 0 {
			to = pick(r, p.parents)
		}
	case x < 85 && len(p.teachers) > 1:
		from, to = pick(r, p.teachers), pick(r, p.teachers)
	case x < 95:
		from, to = pick(r, p.admins), anyUser()
	case len(p.parents) > 0:
		from = pick(r, p.parents)
		if kids := p.studentsOf(p.userClass[from-1]); len(kids) > 0 {
			to = p.studentParent[pick(r, kids)-1]
		}
	}
	if from == 0 {
		from = anyUser()
	}
	for to == 0 || to == from {
		to = anyUser()
	}
	return from, to
}

func (g *generator) messages(rw *rowWriter) error {
	r := newRand(g.cfg.Seed, streamMessages)
	p := g.p
	n := p.messageCount()
	if n == 0 {
		return nil
	}
	// Two years of history, in id order.
	from := p.now - 2*365*microsPerDay
	step := (p.now - from) / n
	tb := &textBuilder{v: g.v, buf: make([]byte, 0, 4096)}
	tags := make([]string, 0, 4)

	for i := range n {
		id := i + 1
		created := from + i*step + r.Int64N(step+1)
		sender, recipient := g.correspondents(r)

		// Unread messages are mostly the recent ones.
		read := int64(0)
		age := p.now - created
		if chance(r, 0.85) || age > 30*microsPerDay && chance(r, 0.9) {
			x := r.Float64()
			read = min(created+int64(x*x*x*float64(min(age, 14*microsPerDay)))+r.Int64N(microsPerSecond), p.now)
		}
		deleted := int64(0)
		if chance(r, softDeleteRate) {
			deleted = created + r.Int64N(age+1)
		}
		updated := max(created, read, deleted)

		rw.int(id)
		rw.ts(created)
		rw.ts(updated)
		rw.tsOrNull(deleted)
		rw.int(int64(sender))
		rw.int(int64(recipient))
		fromFirst, fromLast := g.userName(sender)
		toFirst, toLast := g.userName(recipient)
		child := ""
		if c := p.child[sender-1]; c != 0 {
			child = g.studentFirstName(c)
		}
		rw.text(subject(r, child))
		voice := teacherSentences
		if p.role[sender-1] == roleParent {
			voice = parentSentences
		}
		rw.textBytes(tb.messageBody(r, voice, fromFirst, fromLast, toFirst, toLast, p.female[recipient-1]))
		rw.tsOrNull(read)
		tags = tags[:0]
		if chance(r, 0.3) {
			for range 1 + r.IntN(3) {
				tags = append(tags, pick(r, tagPool))
			}
		}
		rw.textArray(tags)

		if chance(r, messageAttachmentRate) {
			k := 1
			if chance(r, 0.1) {
				k = 2
			}
			for range k {
				g.pending = append(g.pending, pendingAttachment{created: created, owner: int32(id), deleted: deleted != 0})
			}
		}
		if err := rw.endRow(); err != nil {
			return err
		}
	}
	return nil
}
