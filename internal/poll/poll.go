// Package poll waits in tests for something that happens in another process or
// goroutine: a job reaching a state, a server answering.
package poll

import (
	"testing"
	"time"
)

// Until calls cond every 20 ms until it reports true, failing the test when timeout
// passes first; what names the awaited event in that failure.
func Until(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
