package anonymizer

import (
	"encoding/binary"
	"errors"
	"time"
)

// validDate accepts the dates shiftedBirthDate can move: ISO dates as exports write
// them, and infinity.
func validDate(v []byte) error {
	if string(v) == "infinity" || string(v) == "-infinity" {
		return nil
	}
	if _, err := time.Parse(time.DateOnly, string(v)); err != nil {
		return errors.New("not a date in the form YYYY-MM-DD")
	}
	return nil
}

// shiftedBirthDate moves a date by a keyed offset within its school cohort: the
// twelve months from 1 August to 31 July in which it falls, the months of children
// who start school together. The new date is never the old one, stays in the same
// cohort (so it fits the student's class), and is the same on every refresh with
// the same salt. Dates that are not plain ISO dates (infinity) are kept.
func shiftedBirthDate(a *Anonymizer, dst []byte, row Row) ([]byte, bool) {
	d, err := time.Parse(time.DateOnly, string(row.Value))
	if err != nil { // infinity (validDate refused anything else)
		return append(dst, row.Value...), false
	}
	start := time.Date(d.Year(), time.August, 1, 0, 0, 0, 0, time.UTC)
	if d.Before(start) {
		start = start.AddDate(-1, 0, 0)
	}
	days := int64(start.AddDate(1, 0, 0).Sub(start).Hours() / 24)
	h := a.nameHash(Row{Table: row.Table + ".birth_date", ID: row.ID, Seq: row.Seq})
	shift := 1 + int64(binary.BigEndian.Uint64(h[16:24])%uint64(days-1))
	pos := (int64(d.Sub(start).Hours()/24) + shift) % days
	return start.AddDate(0, 0, int(pos)).AppendFormat(dst, time.DateOnly), false
}
