package anonymizer

import (
	"errors"
	"strings"
	"testing"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/internal/testsalt"
)

func TestDefaultPolicyCoversTheSeedsColumns(t *testing.T) {
	t.Parallel()
	p := DefaultPolicy()
	covered := map[string]string{}
	for _, r := range p.Rules {
		covered[r.Table+"."+r.Column] = r.Anonymizer
	}
	want := map[string]string{
		"users.email": Emails, "users.first_name": Names, "users.last_name": Names,
		"students.first_name": Names, "students.last_name": Names,
		"users.street": Contacts, "users.postal_code": Contacts, "users.city": Contacts, "users.phone": Contacts,
		"users.password_hash": Passwords, "messages.body": Bodies, "parental_letters.body": Bodies,
		"attachments.data": Attachments,
	}
	for col, a := range want {
		if covered[col] != a {
			t.Errorf("%s: covered by %q, want %q", col, covered[col], a)
		}
	}
}

func TestParsePolicyRefusesMistakes(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"emails users.email":               "got 2 fields",
		"mails users.email staging_email":  `unknown anonymizer "mails"`,
		"emails users staging_email":       "is not table.column",
		"emails users.email rot13":         `unknown method "rot13"`,
		"emails Users.email staging_email": "is not table.column",
		"emails users.email staging_email\nnames users.email german_first_name": "already covered on line 1",
	}
	for in, want := range tests {
		_, err := ParsePolicy(strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", in, err, want)
		}
	}
	p, err := ParsePolicy(strings.NewReader("# comment\n\nemails  users.email  staging_email  # trailing\n"))
	if err != nil || len(p.Rules) != 1 {
		t.Errorf("comments and blank lines: got %v, %v", p, err)
	}
}

func TestOptOutNeedsTheExactRiskText(t *testing.T) {
	t.Parallel()
	if err := CheckOptOut(nil, ""); err != nil {
		t.Errorf("all on: %v", err)
	}
	for _, ack := range []string{"", "i_understand_the_pii_risk", RiskAck + " ", "yes"} {
		if err := CheckOptOut([]string{Emails}, ack); !errors.Is(err, wippidu.ErrRiskNotAcked) {
			t.Errorf("ack %q: got %v, want ErrRiskNotAcked", ack, err)
		}
	}
	if err := CheckOptOut([]string{Emails, Attachments}, RiskAck); err != nil {
		t.Errorf("with the risk text: %v", err)
	}
	if _, err := ParseKeep("emails, bogus"); err == nil {
		t.Error("ParseKeep accepted an unknown anonymizer")
	}
	if got, _ := ParseKeep("names,emails,names"); len(got) != 2 {
		t.Errorf("ParseKeep duplicates: got %v", got)
	}
}

func TestNamesAreGermanDeterministicAndSalted(t *testing.T) {
	t.Parallel()
	a, err := New(DefaultPolicy(), []string{Passwords}, testsalt.Salt)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New(DefaultPolicy(), []string{Passwords}, testsalt.Other)
	row := Row{Table: "users", ID: []byte("42")}
	first := func(an *Anonymizer, r Row) string {
		out, _ := germanFirstName(an, nil, r)
		return string(out)
	}
	again, _ := New(DefaultPolicy(), []string{Passwords}, testsalt.Salt)
	if first(a, row) != first(again, row) {
		t.Error("same row, same salt: different names")
	}
	differ := 0
	for i := range 50 {
		r := Row{Table: "users", ID: []byte(strings.Repeat("1", i+1))}
		if first(a, r) != first(b, r) {
			differ++
		}
	}
	if differ < 25 {
		t.Errorf("another salt changed only %d of 50 names", differ)
	}
	found := false
	for _, n := range germanFirstNames {
		if n == first(a, row) {
			found = true
		}
	}
	if !found {
		t.Errorf("%q is not from the German name list", first(a, row))
	}
}
