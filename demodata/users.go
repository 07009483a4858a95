package demodata

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

var userColumns = []string{
	"id", "created_at", "updated_at", "deleted_at", "email", "first_name", "last_name",
	"street", "postal_code", "city", "phone", "password_hash", "role", "locale",
	"last_login_at", "preferences",
}

// softDeleteRate is the share of rows with deleted_at set in tables that soft-delete.
const softDeleteRate = 0.02

// userName returns a user's first and last name.
func (g *generator) userName(id int32) (first, last string) {
	i := id - 1
	if g.p.female[i] {
		first = g.v.female[g.p.firstName[i]]
	} else {
		first = g.v.male[g.p.firstName[i]]
	}
	return first, g.v.last[g.p.lastName[i]]
}

// studentFirstName returns a student's first name.
func (g *generator) studentFirstName(id int32) string {
	if g.p.studentFemale[id-1] {
		return g.v.female[g.p.studentFirst[id-1]]
	}
	return g.v.male[g.p.studentFirst[id-1]]
}

func (g *generator) users(rw *rowWriter) error {
	r := newRand(g.cfg.Seed, streamUsers)
	p := g.p
	n := len(p.role)
	// Accounts signed up over the last six years, in id order.
	from := p.now - 6*365*microsPerDay
	step := (p.now - microsPerDay - from) / int64(n)
	home := pick(r, cities) // most families live near their school
	emails := &emailBook{taken: make(map[string]struct{}, n), n: n}

	for i := range n {
		id := int32(i + 1)
		role := p.role[i]
		created := from + int64(i)*step + r.Int64N(step+1)
		deleted := int64(0)
		if id != 1 && chance(r, softDeleteRate) {
			deleted = created + r.Int64N(p.now-created+1)
		}
		updated := created
		if chance(r, 0.5) {
			updated += r.Int64N(p.now - created + 1)
		}
		updated = max(updated, deleted)
		first, last := g.userName(id)
		email := emails.next(g, r, id, role, deleted != 0, first, last)

		rw.int(int64(id))
		rw.ts(created)
		rw.ts(updated)
		rw.tsOrNull(deleted)
		rw.text(email)
		if chance(r, 0.005) {
			rw.text("") // never finished the profile
			rw.text("")
		} else {
			rw.text(first)
			rw.text(last)
		}
		g.contact(rw, r, home, role)
		if id == 1 {
			rw.raw(g.hashes.admin)
		} else {
			rw.raw(pick(r, g.hashes.pool))
		}
		rw.raw(roleNames[role])
		rw.text(pick(r, locales))
		g.lastLogin(rw, r, id, created)
		rw.text(pick(r, g.preferences))
		if err := rw.endRow(); err != nil {
			return err
		}
	}
	return nil
}

// emailBook hands out the users' emails: unique among live accounts (the
// unique index only covers them), with the odd deleted duplicate sign-up.
type emailBook struct {
	taken   map[string]struct{}
	n       int // users in all: suffixes that make an email unique step by it
	prev    string
	adminNo int
}

// next is user id's email.
func (b *emailBook) next(g *generator, r *rand.Rand, id int32, role uint8, deleted bool, first, last string) string {
	var email string
	switch {
	case id == 1:
		email = g.cfg.AdminEmail
	case role == roleAdmin:
		b.adminNo++
		email = pick(r, []string{"sekretariat", "verwaltung", "it-support", "schulleitung"}) + strconv.Itoa(b.adminNo) + "@" + pick(r, schoolDomains)
	case deleted && b.prev != "" && chance(r, 0.3):
		// A duplicate sign-up of the previous account, since deleted.
		email = strings.ToUpper(b.prev[:1]) + b.prev[1:]
	default:
		email = g.email(r, first, last, role)
	}
	if !deleted || id == 1 {
		key := strings.ToLower(email)
		for suffix := int(id); ; suffix += b.n {
			if _, dup := b.taken[key]; !dup {
				break
			}
			at := strings.LastIndexByte(email, '@')
			email = email[:at] + "." + strconv.Itoa(suffix) + email[at:]
			key = strings.ToLower(email)
		}
		b.taken[key] = struct{}{}
	}
	b.prev = email
	return email
}

// lastLogin writes when user id last logged in: the admin today, most users
// recently, some never.
func (g *generator) lastLogin(rw *rowWriter, r *rand.Rand, id int32, created int64) {
	switch {
	case id == 1:
		rw.ts(g.p.now - r.Int64N(microsPerDay))
	case chance(r, 0.1):
		rw.null()
	default:
		x := r.Float64()
		rw.ts(g.p.now - int64(x*x*x*float64(g.p.now-created)))
	}
}

// email makes an address from a person's name the way people pick them.
func (g *generator) email(r *rand.Rand, first, last string, role uint8) string {
	f, l := ascii(first), ascii(last)
	if f == "" {
		f = "user"
	}
	if l == "" {
		l = "x"
	}
	var local string
	switch r.IntN(8) {
	case 0:
		local = f[:1] + "." + l
	case 1:
		local = l + "." + f
	case 2:
		local = f + "_" + l + strconv.Itoa(70+r.IntN(40))
	case 3:
		local = f + l
	case 4:
		local = strings.ToLower(pick(r, g.v.usernames))
	default:
		local = f + "." + l
	}
	domain := pick(r, mailDomains[:4+r.IntN(len(mailDomains)-3)])
	if role == roleTeacher && chance(r, 0.8) {
		domain = pick(r, schoolDomains)
	}
	e := local + "@" + domain
	if chance(r, 0.03) {
		e = strings.ToUpper(e[:1]) + e[1:]
	}
	return e
}

// contact writes street, postal_code, city and phone: usually all set, sometimes
// all NULL, sometimes blanked to ” by a form, sometimes only a phone number.
func (g *generator) contact(rw *rowWriter, r *rand.Rand, home city, role uint8) {
	c := home
	if chance(r, 0.4) {
		c = pick(r, cities)
	}
	x := r.IntN(100)
	if role != roleParent && x < 60 {
		x = 80 // staff rarely leave a private address
	}
	switch {
	case x < 70:
		rw.text(streetAddress(r))
		rw.raw(postalCode(r, c))
		rw.text(c.name)
		rw.text(germanPhone(r, c))
	case x < 85:
		rw.null()
		rw.null()
		rw.null()
		rw.null()
	case x < 90:
		rw.text("")
		rw.text("")
		rw.text("")
		rw.text("")
	default:
		rw.null()
		rw.null()
		if chance(r, 0.5) {
			rw.text(c.name)
		} else {
			rw.text("")
		}
		rw.text(germanPhone(r, c))
	}
}
