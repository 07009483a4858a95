package demodata

import (
	"math/rand/v2"
	"time"
)

// Roles, as stored in users.role.
const (
	roleAdmin uint8 = iota
	roleTeacher
	roleParent
)

var roleNames = [...]string{roleAdmin: "admin", roleTeacher: "teacher", roleParent: "parent"}

// plan is the skeleton of the data: who is who, which families exist, which child
// sits in which class. It holds a few small numbers per user, student and class
// (megabytes for millions of rows) so that every table's generator can make
// consistent references; the rows themselves are never held in memory.
type plan struct {
	now            int64 // µs since the epoch; the end of the generated history
	schoolYearFrom int   // the current school year starts on 1 August of this year

	// Per user, indexed by id-1.
	role      []uint8
	female    []bool
	firstName []uint16 // index into vocab.female or vocab.male
	lastName  []uint16 // index into vocab.last
	userClass []int32  // a teacher's class, a parent's first child's class; 0 if none
	child     []int32  // a parent's first child (student id), 0 for others

	admins, teachers, parents []int32

	households []household

	// Per class, indexed by id-1.
	classes []class
	// classStudents[classStart[c-1]:classStart[c]] are the students of class id c.
	classStart    []int32
	classStudents []int32

	// Per student, indexed by id-1.
	studentClass  []int32 // 0: no class
	studentParent []int32 // first guardian
	studentFemale []bool
	studentFirst  []uint16 // index into vocab.female or vocab.male
}

type household struct {
	parents    [2]int32 // second is 0 for single parents
	surname    uint16
	firstChild int32 // student id of the first child
	children   uint8
}

type class struct {
	teacher int32 // 0: none
	grade   int8
	year    int // school year starts on 1 August of this year
	letter  byte
	deleted bool
}

const (
	microsPerSecond = int64(1e6)
	microsPerHour   = 3600 * microsPerSecond
	microsPerDay    = 24 * microsPerHour
)

func micros(t time.Time) int64 { return t.UnixMicro() }

// day returns the days since the epoch of a µs timestamp.
func day(us int64) int64 { return floorDiv(us, microsPerDay) }

// schoolYearStart returns 1 August of year in µs.
func schoolYearStart(year int) int64 {
	return micros(time.Date(year, time.August, 1, 0, 0, 0, 0, time.UTC))
}

// newPlan decides the shape of the data for cfg.Users users.
func newPlan(cfg Config, v *vocab, now time.Time) *plan {
	r := newRand(cfg.Seed, streamPlan)
	n := cfg.Users
	p := &plan{now: micros(now)}
	p.schoolYearFrom = now.Year()
	if now.Month() < time.August {
		p.schoolYearFrom--
	}

	// Roles: user 1 is the configured admin; a few more admins and ~5% teachers are
	// scattered among the parents the way sign-ups would interleave them.
	nAdmins := min(n, 1+min(max(n/20000, 2), 5))
	nTeachers := 0
	if n-nAdmins >= 2 {
		nTeachers = max(1, (n*5+50)/100)
	}
	p.role = make([]uint8, n)
	for i := 1; i < n; i++ {
		switch {
		case i < nAdmins:
			p.role[i] = roleAdmin
		case i < nAdmins+nTeachers:
			p.role[i] = roleTeacher
		default:
			p.role[i] = roleParent
		}
	}
	r.Shuffle(n-1, func(i, j int) { p.role[i+1], p.role[j+1] = p.role[j+1], p.role[i+1] })

	p.female = make([]bool, n)
	p.firstName = make([]uint16, n)
	p.lastName = make([]uint16, n)
	p.userClass = make([]int32, n)
	p.child = make([]int32, n)
	for i := range n {
		id := int32(i + 1)
		p.female[i] = chance(r, 0.55)
		if p.female[i] {
			p.firstName[i] = uint16(r.IntN(len(v.female)))
		} else {
			p.firstName[i] = uint16(r.IntN(len(v.male)))
		}
		p.lastName[i] = uint16(r.IntN(len(v.last)))
		switch p.role[i] {
		case roleAdmin:
			p.admins = append(p.admins, id)
		case roleTeacher:
			p.teachers = append(p.teachers, id)
		default:
			p.parents = append(p.parents, id)
		}
	}

	p.planClasses(r)
	p.planFamilies(r, v)
	return p
}

// planClasses makes about one class per teacher, in grades 1–13, mostly in the
// current school year; a few belong to last year.
func (p *plan) planClasses(r *rand.Rand) {
	if len(p.parents) == 0 {
		return
	}
	n := max(1, len(p.teachers)*9/10)
	p.classes = make([]class, n)
	var letters [14]byte
	for i := range p.classes {
		c := &p.classes[i]
		// Lower grades have more parallel classes than the upper school.
		g := int8(1 + r.IntN(13))
		if g > 10 && r.Float64() < 0.4 {
			g = int8(1 + r.IntN(4))
		}
		c.grade = g
		c.year = p.schoolYearFrom
		if r.Float64() < 0.08 {
			c.year--
		}
		c.letter = 'a' + letters[g]%8
		letters[g]++
		// Some classes have no teacher (yet); the newest class never has one.
		if i < len(p.teachers) && i < len(p.classes)-1 && r.Float64() >= 0.05 {
			c.teacher = p.teachers[i]
			p.userClass[c.teacher-1] = int32(i + 1)
		}
		c.deleted = r.Float64() < 0.01
	}
}

// planFamilies groups the parents into households of one or two with one to four
// children (about 1.3 children per parent) and seats every child in a class.
func (p *plan) planFamilies(r *rand.Rand, v *vocab) {
	next := int32(1)
	for i := 0; i < len(p.parents); {
		h := household{surname: p.lastName[p.parents[i]-1], firstChild: next}
		h.parents[0] = p.parents[i]
		i++
		if i < len(p.parents) && r.Float64() < 0.6 {
			h.parents[1] = p.parents[i]
			if r.Float64() < 0.7 {
				p.lastName[h.parents[1]-1] = h.surname
			}
			i++
		}
		switch x := r.Float64(); {
		case x < 0.30:
			h.children = 1
		case x < 0.70:
			h.children = 2
		case x < 0.92:
			h.children = 3
		default:
			h.children = 4
		}
		for range h.children {
			cls := int32(0)
			if len(p.classes) > 0 && r.Float64() >= 0.02 {
				cls = int32(1 + r.IntN(len(p.classes)))
			}
			p.studentClass = append(p.studentClass, cls)
			p.studentParent = append(p.studentParent, h.parents[0])
			female := r.Float64() < 0.5
			p.studentFemale = append(p.studentFemale, female)
			if female {
				p.studentFirst = append(p.studentFirst, uint16(r.IntN(len(v.female))))
			} else {
				p.studentFirst = append(p.studentFirst, uint16(r.IntN(len(v.male))))
			}
		}
		for _, parent := range h.parents {
			if parent != 0 {
				p.child[parent-1] = h.firstChild
				p.userClass[parent-1] = p.studentClass[h.firstChild-1]
			}
		}
		next += int32(h.children)
		p.households = append(p.households, h)
	}

	// Index students by class.
	p.classStart = make([]int32, len(p.classes)+2)
	for _, c := range p.studentClass {
		if c != 0 {
			p.classStart[c+1]++
		}
	}
	for c := 1; c < len(p.classStart); c++ {
		p.classStart[c] += p.classStart[c-1]
	}
	p.classStudents = make([]int32, p.classStart[len(p.classStart)-1])
	fill := make([]int32, len(p.classes)+1)
	for i, c := range p.studentClass {
		if c != 0 {
			p.classStudents[p.classStart[c]+fill[c]] = int32(i + 1)
			fill[c]++
		}
	}
	// Shift so that class id c's students are classStudents[classStart[c-1]:classStart[c]].
	p.classStart = p.classStart[1:]
}

// studentsOf returns the student ids of class id c.
func (p *plan) studentsOf(c int32) []int32 {
	if c <= 0 || int(c) > len(p.classes) {
		return nil
	}
	return p.classStudents[p.classStart[c-1]:p.classStart[c]]
}

func (p *plan) students() int { return len(p.studentClass) }
