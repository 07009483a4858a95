package ops

import "time"

// SetPollEvery sets how often wait looks at a job, until restore is called.
func SetPollEvery(d time.Duration) (restore func()) {
	old := pollEvery
	pollEvery = d
	return func() { pollEvery = old }
}
