package anonymizer

import (
	"slices"
	"strings"
	"testing"

	"github.com/wippidu/wippidu/schema"
)

// FuzzParsePolicy: any text either parses into rules that name known anonymizers
// and methods, or is refused with an error; it never panics.
func FuzzParsePolicy(f *testing.F) {
	f.Add(defaultPolicy)
	f.Add("emails users.email staging_email")
	f.Add("names a.b german_first_name # c\n\n")
	f.Add("bodies x.y scrubbed_text\nbodies x.y scrubbed_text")
	f.Add("emails \x00.\xff staging_email")
	f.Fuzz(func(t *testing.T, text string) {
		p, err := ParsePolicy(strings.NewReader(text))
		if err != nil {
			return
		}
		for _, r := range p.Rules {
			_, known := methods[r.Method]
			ok := (isKey(r.Anonymizer) && known) || (r.Anonymizer == Keep && slices.Contains(Reasons, r.Reason))
			if !ok || !schema.IsIdent(r.Table) || !schema.IsIdent(r.Column) {
				t.Fatalf("accepted a bad rule: %+v", r)
			}
		}
	})
}
