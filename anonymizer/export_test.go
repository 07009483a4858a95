package anonymizer

import "github.com/wippidu/wippidu"

// LetThrough makes a leave replacements of these kinds unmade, as a flawed
// anonymizer would: the tests of package anonymizer_test import through it and
// expect the leak check to refuse the import.
func LetThrough(a *Anonymizer, kinds ...wippidu.ReplacedKind) {
	a.letThrough = map[wippidu.ReplacedKind]bool{}
	for _, k := range kinds {
		a.letThrough[k] = true
	}
}
