package anonymizer

import (
	"strconv"
	"testing"
	"time"

	"github.com/wippidu/wippidu/internal/testsalt"
)

func TestBirthDatesMoveWithinTheirSchoolYear(t *testing.T) {
	a, _ := New(DefaultPolicy(), []string{Passwords}, testsalt.Salt)
	again, _ := New(DefaultPolicy(), []string{Passwords}, testsalt.Salt)
	other, _ := New(DefaultPolicy(), []string{Passwords}, testsalt.Other)
	shift := func(an *Anonymizer, id int, date string) string {
		out, null := shiftedBirthDate(an, nil, Row{Table: "students", ID: []byte(strconv.Itoa(id)), Value: []byte(date), NotNull: false})
		if null {
			t.Fatalf("%s became NULL", date)
		}
		return string(out)
	}
	cohort := func(d time.Time) int { // the year of the 1 August that starts its cohort
		if d.Month() < time.August {
			return d.Year() - 1
		}
		return d.Year()
	}
	differ := 0
	for id := 1; id <= 400; id++ {
		orig := time.Date(2012, time.January, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, id*5)
		in := orig.Format(time.DateOnly)
		got := shift(a, id, in)
		d, err := time.Parse(time.DateOnly, got)
		if err != nil {
			t.Fatalf("%s → %q: %v", in, got, err)
		}
		if got == in {
			t.Errorf("student %d: %s was not moved", id, in)
		}
		if cohort(d) != cohort(orig) {
			t.Errorf("student %d: %s moved to %s, out of its school year", id, in, got)
		}
		if shift(again, id, in) != got {
			t.Errorf("student %d: same salt, different date", id)
		}
		if shift(other, id, in) != got {
			differ++
		}
	}
	if differ < 350 {
		t.Errorf("another salt moved only %d of 400 dates elsewhere", differ)
	}
	if got := shift(a, 1, "infinity"); got != "infinity" {
		t.Errorf("infinity: got %q", got)
	}
	if validDate([]byte("2018-05-32")) == nil || validDate([]byte("17.05.2018")) == nil {
		t.Error("validDate accepted a date that is none")
	}
}
