package anonymizer

import (
	"slices"
	"strconv"
	"testing"
)

// TestCensusCountsWriters: a token is common when CommonWriters different people
// wrote rows holding it, however often one person writes it; an attachment is
// written by whoever wrote its message; text arrays and JSON count their strings,
// keys and long integers.
func TestCensusCountsWriters(t *testing.T) {
	t.Parallel()
	tables := map[string]*CensusTable{}
	for _, ct := range DefaultPolicy().CensusTables(school()) {
		tables[ct.Table] = ct
	}
	msgs, atts := tables["messages"], tables["attachments"]
	if msgs == nil || atts == nil || !slices.Equal(msgs.Columns, []string{"sender_id", "recipient_id", "id", "subject", "tags"}) ||
		!slices.Equal(atts.Columns, []string{"message_id", "parental_letter_id", "filename"}) {
		t.Fatalf("census tables: messages %+v, attachments %+v", msgs, atts)
	}
	c := NewCensus()
	row := func(ct *CensusTable, vals ...string) {
		b := make([][]byte, len(vals))
		for i, v := range vals {
			if v != "NULL" {
				b[i] = []byte(v)
			}
		}
		c.Add(ct, b)
	}
	for id := 1; id <= 40; id++ {
		sender := strconv.Itoa(1 + id%CommonWriters) // five senders
		row(msgs, sender, "99", strconv.Itoa(id), "Elternabend 12345678 Übermorgen", `{wichtig,"Ausflug 2026"}`)
		row(msgs, "42", "99", strconv.Itoa(100+id), "Krümel Elternabend", "{}") // one writer, forty times
		row(atts, strconv.Itoa(id), "NULL", "Klassenfoto_"+strconv.Itoa(id)+".jpg")
		row(atts, strconv.Itoa(100+id), "NULL", "Krümelfoto.jpg")
	}
	users := tables["users"]
	for id := 1; id <= CommonWriters; id++ {
		row(users, strconv.Itoa(id), `{"notifications": {"digest": "weekly"}, "big": 12345678901234, "n": 1e5}`)
	}
	want := []string{"12345678", "12345678901234", "ausflug", "big", "digest", "elternabend", "jpg", "klasenfoto", "notifications", "ubermorgen", "weekly", "wichtig"}
	if got := c.Common(); !slices.Equal(got, want) {
		t.Errorf("common tokens:\n got %v\nwant %v", got, want)
	}
}
