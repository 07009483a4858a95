// Package transfer moves an instance's app data in and out of dump files: Export
// writes one consistent snapshot of every app table, Import replaces staging's app
// data with a dump's, anonymized on the way in, in one transaction.
package transfer

import (
	"io"
	"sync/atomic"
	"time"

	"github.com/wippidu/wippidu"
)

// progressEvery is how often progress is reported at most.
const progressEvery = 500 * time.Millisecond

// progressTracker throttles progress callbacks.
type progressTracker struct {
	fn    func(wippidu.Progress)
	last  time.Time
	state wippidu.Progress
	bytes *atomic.Int64
}

func (p *progressTracker) report(force bool) {
	if p.fn == nil {
		return
	}
	now := time.Now()
	if !force && now.Sub(p.last) < progressEvery {
		return
	}
	p.last = now
	if p.bytes != nil {
		p.state.BytesDone = p.bytes.Load()
	}
	p.fn(p.state)
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
