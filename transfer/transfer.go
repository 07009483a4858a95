// Package transfer moves an instance's app data in and out of dump files: Export
// writes one consistent snapshot of every app table, Import replaces staging's app
// data with a dump's, anonymized on the way in, in one transaction.
package transfer

import (
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wippidu/wippidu"
)

// progressEvery is how often progress is reported at most.
const progressEvery = 500 * time.Millisecond

// progressTracker throttles progress callbacks. A report that comes too soon
// after the last one is not dropped but held, and published when the interval is
// over unless a newer one replaces it first: the last rows handed to a COPY that
// PostgreSQL then works on for seconds still show while it does.
type progressTracker struct {
	fn    func(wippidu.Progress)
	state wippidu.Progress // changed by the goroutine doing the work only
	bytes *atomic.Int64

	mu      sync.Mutex
	last    time.Time
	held    wippidu.Progress // a throttled report, published by timer…
	holding bool             // …while this is set
	timer   *time.Timer
	stopped bool
}

func (p *progressTracker) report(force bool) {
	if p.fn == nil {
		return
	}
	if p.bytes != nil {
		p.state.BytesDone = p.bytes.Load()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	now := time.Now()
	if wait := progressEvery - now.Sub(p.last); !force && wait > 0 {
		// Copied, not pointed to: this runs for every row, and a pointer would
		// make the copy escape to the heap.
		p.held, p.holding = p.state, true
		if p.timer == nil {
			p.timer = time.AfterFunc(wait, p.publishHeld)
		}
		return
	}
	p.publish(now, p.state)
}

// publish hands s to the callback; p.mu is held.
func (p *progressTracker) publish(now time.Time, s wippidu.Progress) {
	p.last, p.holding = now, false
	p.fn(s)
}

// publishHeld publishes the report held back by the throttle, if any is left.
func (p *progressTracker) publishHeld() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.timer = nil
	if p.holding && !p.stopped {
		p.publish(time.Now(), p.held)
	}
}

// stop ends reporting: a held report is dropped, and once stop returns the
// callback is not called again.
func (p *progressTracker) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = true
	if p.timer != nil {
		p.timer.Stop()
	}
}

// phase switches to a new phase and reports it at once.
func (p *progressTracker) phase(phase wippidu.Phase, table string) {
	if phase != p.state.Phase {
		p.state.Step, p.state.Steps = 0, 0
	}
	p.state.Phase, p.state.Table = phase, table
	p.report(true)
}

// tally adds the bytes a Read or a Write moved to n, which progress reads from
// another goroutine.
type tally struct{ n *atomic.Int64 }

func (t tally) add(k int, err error) (int, error) {
	t.n.Add(int64(k))
	return k, err
}

// countingWriter counts bytes written through it.
type countingWriter struct {
	w io.Writer
	tally
}

func (c countingWriter) Write(p []byte) (int, error) { return c.add(c.w.Write(p)) }

// countingReader counts bytes read through it.
type countingReader struct {
	r io.Reader
	tally
}

func (c countingReader) Read(p []byte) (int, error) { return c.add(c.r.Read(p)) }
