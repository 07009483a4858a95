package demodata

import (
	mathrand "math/rand"
	"math/rand/v2"
	"sync"

	"github.com/go-faker/faker/v4"
)

// vocab holds the pools rows are composed from. Faker is slow and has one global
// random source, so it is asked once per Generate, under a lock and re-seeded,
// for pools that then get sampled with fast seeded sources.
type vocab struct {
	female, male, last []string
	lorem              []string
	usernames          []string
}

// fakerMu serialises use of faker's global random source, so that concurrent
// Generate calls in one process stay deterministic.
var fakerMu sync.Mutex

const (
	fakerNames     = 120
	fakerSentences = 400
	fakerUsernames = 200
	// germanWeight makes the German name lists dominate the faker ones.
	germanWeight = 4
)

func newVocab(seed uint64) *vocab {
	fakerMu.Lock()
	defer fakerMu.Unlock()
	faker.SetRandomSource(faker.NewSafeSource(mathrand.NewSource(int64(seed))))

	v := &vocab{}
	for range germanWeight {
		v.female = append(v.female, germanFemaleNames...)
		v.male = append(v.male, germanMaleNames...)
		v.last = append(v.last, germanLastNames...)
	}
	for range fakerNames {
		v.female = append(v.female, faker.FirstNameFemale())
		v.male = append(v.male, faker.FirstNameMale())
		v.last = append(v.last, faker.LastName())
	}
	for range fakerSentences {
		v.lorem = append(v.lorem, faker.Sentence())
	}
	for range fakerUsernames {
		v.usernames = append(v.usernames, faker.Username())
	}
	return v
}

// pick returns a random element of s.
func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// chance reports true with probability p.
func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

// optionalText writes a free-text column people may leave out, given a draw x:
// NULL when x < null, an empty text when x < empty, else one of texts.
func optionalText(rw *rowWriter, r *rand.Rand, x, null, empty int, texts []string) {
	switch {
	case x < null:
		rw.null()
	case x < empty:
		rw.text("")
	default:
		rw.text(pick(r, texts))
	}
}

// newRand returns a PCG source for one part of the data. Each part has its own
// stream so that changing how one table is generated leaves the others alone.
func newRand(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream))
}

// Streams of newRand, one per part of the data.
const (
	streamPlan uint64 = iota + 1
	streamUsers
	streamClasses
	streamStudents
	streamGuardianships
	streamMessages
	streamLetters
	streamAcks
	streamAttachments
	streamPasswords
	streamDocs
)
