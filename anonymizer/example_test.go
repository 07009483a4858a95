package anonymizer_test

import (
	"fmt"

	"github.com/wippidu/wippidu/anonymizer"
)

// A salt must be 32 random bytes that nobody published: the examples of the
// deploy files are refused, and so is anything short.
func ExampleCheckSalt() {
	for _, salt := range []string{"change-me-staging-salt", "pepper", "3a7e9c1f5b0d8e2a6c4f1b9e7d3a5c0f8b2e6d4a1c9f7b3e5d0a8c2f6b4e1d9a"} {
		fmt.Println(anonymizer.CheckSalt(salt) == nil)
	}
	// Output:
	// false
	// false
	// true
}
