package demodata

import (
	"fmt"
	"strconv"
)

var classColumns = []string{
	"id", "created_at", "updated_at", "deleted_at", "name", "grade", "school_year", "teacher_id", "room",
}

var studentColumns = []string{
	"id", "created_at", "updated_at", "deleted_at", "first_name", "last_name", "birth_date",
	"school_class_id", "notes",
}

var guardianshipColumns = []string{
	"id", "created_at", "updated_at", "deleted_at", "parent_id", "student_id", "relation",
}

// className names a class the way German schools do: "5b", and "EF", "Q1", "Q2"
// for the upper school in some states.
func className(c class) string {
	if c.grade >= 11 && c.letter <= 'b' {
		return [...]string{"EF", "Q1", "Q2"}[c.grade-11]
	}
	return strconv.Itoa(int(c.grade)) + string(rune(c.letter))
}

func schoolYearName(year int) string { return fmt.Sprintf("%d/%02d", year, (year+1)%100) }

func (g *generator) schoolClasses(rw *rowWriter) error {
	r := newRand(g.cfg.Seed, streamClasses)
	for i, c := range g.p.classes {
		created := min(schoolYearStart(c.year)-r.Int64N(60*microsPerDay), g.p.now)
		updated := created + r.Int64N(g.p.now-created+1)
		rw.int(int64(i + 1))
		rw.ts(created)
		rw.ts(updated)
		if c.deleted {
			rw.ts(updated)
		} else {
			rw.null()
		}
		name := className(c)
		switch r.IntN(40) {
		case 0:
			name += " (bilingual)"
		case 1:
			name += " – Ganztag"
		}
		rw.text(name)
		rw.int(int64(c.grade))
		rw.raw(schoolYearName(c.year))
		rw.intOrNull(int64(c.teacher))
		x := r.IntN(10)
		if i == len(g.p.classes)-1 {
			x = 0 // no room assigned yet, as for 3 classes in 10
		}
		optionalText(rw, r, x, 3, 4, rooms)
		if err := rw.endRow(); err != nil {
			return err
		}
	}
	return nil
}

func (g *generator) students(rw *rowWriter) error {
	r := newRand(g.cfg.Seed, streamStudents)
	p := g.p
	for _, h := range p.households {
		for k := range int32(h.children) {
			id := h.firstChild + k
			cls := p.studentClass[id-1]
			// Children are six when they start grade 1 on 1 August.
			var born int64
			var enrolled int64
			if cls != 0 {
				c := p.classes[cls-1]
				born = day(schoolYearStart(c.year-int(c.grade)-6)) + r.Int64N(365)
				if chance(r, 0.08) { // started school early or repeated a year
					born += 365 * (2*r.Int64N(2) - 1)
				}
				enrolled = schoolYearStart(c.year) - r.Int64N(90*microsPerDay)
			} else {
				born = day(p.now) - (6+r.Int64N(12))*365 - r.Int64N(365)
				enrolled = p.now - r.Int64N(400*microsPerDay)
			}
			created := min(enrolled, p.now) - r.Int64N(microsPerDay)
			updated := created
			if chance(r, 0.3) {
				updated += r.Int64N(p.now - created + 1)
			}
			rw.int(int64(id))
			rw.ts(created)
			rw.ts(updated)
			if chance(r, softDeleteRate) {
				rw.ts(updated)
			} else {
				rw.null()
			}
			rw.text(g.studentFirstName(id))
			last := g.v.last[h.surname]
			if h.parents[1] != 0 && chance(r, 0.05) {
				_, other := g.userName(h.parents[1])
				if other != last {
					last += "-" + other
				}
			}
			rw.text(last)
			if chance(r, 0.01) {
				rw.null()
			} else {
				rw.date(born)
			}
			rw.intOrNull(int64(cls))
			optionalText(rw, r, r.IntN(20), 15, 17, studentNotes)
			if err := rw.endRow(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (g *generator) guardianships(rw *rowWriter) error {
	r := newRand(g.cfg.Seed, streamGuardianships)
	p := g.p
	id := int64(0)
	for _, h := range p.households {
		for k := range int32(h.children) {
			student := h.firstChild + k
			for _, parent := range h.parents {
				if parent == 0 {
					continue
				}
				id++
				created := p.now - r.Int64N(3*365*microsPerDay)
				rw.int(id)
				rw.ts(created)
				rw.ts(created)
				if chance(r, 0.01) { // custody changed
					rw.ts(created + r.Int64N(p.now-created+1))
				} else {
					rw.null()
				}
				rw.int(int64(parent))
				rw.int(int64(student))
				switch x := r.IntN(100); {
				case x < 88:
					rw.raw("parent")
				case x < 94:
					rw.raw("guardian")
				case x < 97:
					rw.raw("foster_parent")
				default:
					rw.raw("grandparent")
				}
				if err := rw.endRow(); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// guardianshipCount is the number of guardianship rows the plan implies.
func (p *plan) guardianshipCount() int64 {
	var n int64
	for _, h := range p.households {
		parents := int64(1)
		if h.parents[1] != 0 {
			parents = 2
		}
		n += parents * int64(h.children)
	}
	return n
}
