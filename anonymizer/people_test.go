package anonymizer

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/wippidu/wippidu/internal/testsalt"
)

// TestPeopleMemory builds the dictionary of 100,000 users and 100,000 students
// (one guardianship each), as an import of a school of 100,000 users would, and
// reports what it holds on the heap. The figure is in the README.
func TestPeopleMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a dictionary of 200,000 people")
	}
	const n = 100_000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	a, err := New(DefaultPolicy(), []string{Passwords}, testsalt.Salt)
	if err != nil {
		t.Fatal(err)
	}
	sources := a.Prepare(school())
	users, students, links := sources["users"], sources["students"], sources["guardianships"]
	firsts, lasts := germanFirstNames[:], germanLastNames[:]
	uvals := make([][]byte, len(users.Columns))
	for i := 1; i <= n; i++ {
		for k, c := range users.Columns {
			switch c {
			case "id":
				uvals[k] = []byte(strconv.Itoa(i))
			case "email":
				uvals[k] = []byte(fmt.Sprintf("person.%d@example-%d.org", i, i%97))
			case "first_name":
				uvals[k] = []byte(firsts[i%len(firsts)])
			case "last_name":
				uvals[k] = []byte(lasts[(i/7)%len(lasts)])
			case "street":
				uvals[k] = []byte(fmt.Sprintf("Lindenstraße %d", i%180+1))
			case "phone":
				uvals[k] = []byte(fmt.Sprintf("+49 170 %07d", i))
			case "password_hash":
				uvals[k] = []byte(fmt.Sprintf("$2a$10$%053d", i))
			}
		}
		users.Add(uvals)
		born := time.Date(2008, 8, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%4383).Format(time.DateOnly)
		students.Add([][]byte{[]byte(strconv.Itoa(i)), []byte(firsts[(i*3)%len(firsts)]), []byte(lasts[(i/7)%len(lasts)]), []byte(born)})
		links.Add([][]byte{[]byte(strconv.Itoa(i)), []byte(strconv.Itoa(i))})
	}
	pp := a.Sealed()
	runtime.GC()
	runtime.ReadMemStats(&after)
	mb := float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
	t.Logf("people dictionary: %d people, %.1f MiB on the heap (%.0f bytes a person)", pp.Len(), mb, mb*(1<<20)/float64(pp.Len()))
	if pp.Len() != 2*n {
		t.Errorf("people: got %d, want %d", pp.Len(), 2*n)
	}
	if mb > 64 {
		t.Errorf("the dictionary of %d people takes %.1f MiB, more than the 64 MiB an import can spare", pp.Len(), mb)
	}
	runtime.KeepAlive(a)
}
