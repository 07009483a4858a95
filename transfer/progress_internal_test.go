package transfer

import (
	"sync"
	"testing"
	"time"

	"github.com/wippidu/wippidu"
)

// TestThrottledProgressIsPublishedLate reports faster than progressEvery and then
// goes quiet, as a COPY does once PostgreSQL holds the last rows: the last report
// still reaches the callback when the interval is over, reports never come closer
// together than the interval, and none comes after stop.
func TestThrottledProgressIsPublishedLate(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []wippidu.Progress
	var at []time.Time
	p := &progressTracker{fn: func(s wippidu.Progress) {
		mu.Lock()
		defer mu.Unlock()
		got, at = append(got, s), append(at, time.Now())
	}}
	p.state.Phase = wippidu.PhaseLoading
	p.report(true)
	for i := int64(1); i <= 1000; i++ {
		p.state.RowsDone = i
		p.report(false)
	}
	// The loop takes far less than progressEvery: only the first report is out.
	deadline := time.Now().Add(time.Minute)
	for {
		mu.Lock()
		n, last := len(got), got[len(got)-1]
		mu.Unlock()
		if last.RowsDone == 1000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %d reports the last one published says %d rows, want the last reported, 1000", n, last.RowsDone)
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.state.RowsDone = 2000
	p.report(false) // held: the last publication was just now
	p.stop()
	time.Sleep(2 * progressEvery)
	mu.Lock()
	defer mu.Unlock()
	if last := got[len(got)-1]; last.RowsDone != 1000 {
		t.Errorf("a report held at stop was published: %d rows", last.RowsDone)
	}
	for i := 1; i < len(at); i++ {
		if d := at[i].Sub(at[i-1]); d < progressEvery-10*time.Millisecond {
			t.Errorf("reports %d and %d came %s apart, want at least %s", i-1, i, d, progressEvery)
		}
	}
}
