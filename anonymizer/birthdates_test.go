package anonymizer

import (
	"strconv"
	"testing"
	"time"

	"github.com/wippidu/wippidu/internal/testsalt"
)

// TestBirthDatesComeFromTheIDAndTheCohortAlone: a fake birth date stays in the
// real one's school year, is the same for the same salt, differs for another, and
// is the same whatever day of that school year the real date is: nothing of the
// real date but its cohort can be read back from it, even with the salt.
func TestBirthDatesComeFromTheIDAndTheCohortAlone(t *testing.T) {
	t.Parallel()
	a, _ := New(DefaultPolicy(), []string{Passwords}, testsalt.Salt)
	again, _ := New(DefaultPolicy(), []string{Passwords}, testsalt.Salt)
	other, _ := New(DefaultPolicy(), []string{Passwords}, testsalt.Other)
	fake := func(an *Anonymizer, id int, date string) string {
		out, null := cohortBirthDate(an, nil, Row{Table: "students", ID: []byte(strconv.Itoa(id)), Value: []byte(date), NotNull: false})
		if null {
			t.Fatalf("%s became NULL", date)
		}
		return string(out)
	}
	differ, same := 0, 0
	for id := 1; id <= 400; id++ {
		orig := time.Date(2012, time.January, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, id*5)
		in := orig.Format(time.DateOnly)
		got := fake(a, id, in)
		d, err := time.Parse(time.DateOnly, got)
		if err != nil {
			t.Fatalf("%s → %q: %v", in, got, err)
		}
		if got == in {
			same++
		}
		if !cohortStart(d).Equal(cohortStart(orig)) {
			t.Errorf("student %d: %s became %s, out of its school year", id, in, got)
		}
		if fake(again, id, in) != got {
			t.Errorf("student %d: same salt, different date", id)
		}
		if fake(other, id, in) != got {
			differ++
		}
		// Every other day of the same school year gives the same fake date.
		for day := cohortStart(orig); day.Before(cohortStart(orig).AddDate(1, 0, 0)); day = day.AddDate(0, 0, 1) {
			if g := fake(a, id, day.Format(time.DateOnly)); g != got {
				t.Fatalf("student %d: born %s → %s, born %s → %s: the fake date follows the real one", id, in, got, day.Format(time.DateOnly), g)
			}
		}
	}
	if differ < 350 {
		t.Errorf("another salt gave only %d of 400 students another date", differ)
	}
	if same > 8 {
		t.Errorf("%d of 400 fake dates are the real ones: more than chance (about 1 in 365)", same)
	}
	if got := fake(a, 1, "infinity"); got != "infinity" {
		t.Errorf("infinity: got %q", got)
	}
	if validDate([]byte("2018-05-32")) == nil || validDate([]byte("17.05.2018")) == nil {
		t.Error("validDate accepted a date that is none")
	}
}
