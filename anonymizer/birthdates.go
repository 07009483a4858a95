package anonymizer

import (
	"encoding/binary"
	"errors"
	"time"
)

// validDate accepts the dates cohortBirthDate can replace: ISO dates as exports
// write them, and infinity.
func validDate(v []byte) error {
	if string(v) == "infinity" || string(v) == "-infinity" {
		return nil
	}
	if _, err := time.Parse(time.DateOnly, string(v)); err != nil {
		return errors.New("not a date in the form YYYY-MM-DD")
	}
	return nil
}

// cohortStart is the 1 August that starts the school cohort of d: the twelve
// months of children who start school together.
func cohortStart(d time.Time) time.Time {
	start := time.Date(d.Year(), time.August, 1, 0, 0, 0, 0, time.UTC)
	if d.Before(start) {
		start = start.AddDate(-1, 0, 0)
	}
	return start
}

// cohortBirthDate replaces a birth date by a day of its school cohort chosen from
// the salt and the row's id alone. The real date decides only the cohort, which
// staging keeps (it fits the student's class): whoever holds the salt can compute
// every student's fake date, but learns nothing of the real one from it but its
// school year. The same salt gives the same date on every refresh. Dates that are
// not plain ISO dates (infinity) are kept.
func cohortBirthDate(a *Anonymizer, dst []byte, row Row) ([]byte, bool) {
	d, err := time.Parse(time.DateOnly, string(row.Value))
	if err != nil { // infinity (validDate refused anything else)
		return append(dst, row.Value...), false
	}
	return a.fakeBirthDate(row.Table, rowIdentity(row), d).AppendFormat(dst, time.DateOnly), false
}

// fakeBirthDate is the fake birth date of the person with id in table whose real
// date falls in the cohort of d.
func (a *Anonymizer) fakeBirthDate(table string, id []byte, d time.Time) time.Time {
	start := cohortStart(d)
	days := uint64(start.AddDate(1, 0, 0).Sub(start).Hours() / 24)
	h := a.nameHash(Row{Table: table + ".birth_date", ID: id})
	return start.AddDate(0, 0, int(binary.BigEndian.Uint64(h[16:24])%days))
}
