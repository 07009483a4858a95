package web

import (
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// How much of a request the web tier reads, and how long it waits for it. Only
// the dump upload may be large and slow; every other body is a form or a small
// JSON request.
const (
	// maxBodyBytes bounds the body of every request but the upload's.
	maxBodyBytes = 64 << 10
	// headerTimeout cuts a client that sends its request line and headers too
	// slowly.
	headerTimeout = 10 * time.Second
	// bodyTimeout is how long a small body may take to arrive, whole.
	bodyTimeout = 20 * time.Second
	// An upload must keep moving: every paceBytes must arrive within paceWait of
	// waiting for the client (about 17 KB/s; a real upload at 1 MB/s spends a
	// quarter of a second on each). Time spent storing what arrived does not
	// count: a slow storage must not cut a fast client.
	paceBytes = 256 << 10
	paceWait  = 15 * time.Second
)

// uploadRoutes take a dump file in their body.
var uploadRoutes = map[string]bool{"/admin/data/import": true, "/admin/data/preview": true}

// boundBody limits what a request's body may cost before any handler reads it:
// an upload must keep pace (pacedBody); any other body is at most maxBodyBytes,
// refused unread when it says it is larger, and must arrive within bodyTimeout.
func (s *Server) boundBody(c *gin.Context) {
	rc := http.NewResponseController(c.Writer)
	if c.Request.Method == http.MethodPost && uploadRoutes[c.FullPath()] {
		c.Request.Body = &pacedBody{body: c.Request.Body, rc: rc}
		c.Next()
		return
	}
	if c.Request.ContentLength > maxBodyBytes {
		s.fail(c, errBodyTooLarge)
		return
	}
	// The server cannot set it itself: an upload must not have one.
	_ = rc.SetReadDeadline(time.Now().Add(bodyTimeout))
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxBodyBytes)
	c.Next()
}

// pacedBody fails an upload whose client sends slower than paceBytes per paceWait
// of waiting: the read deadline is set at each Read to what is left of the
// window's waiting time, and a new window begins with every paceBytes.
type pacedBody struct {
	body   io.ReadCloser
	rc     *http.ResponseController
	got    int64         // bytes in this window
	waited time.Duration // time spent in Read in this window
	err    error         // the first failure to read from the client
}

func (p *pacedBody) Read(b []byte) (int, error) {
	start := time.Now()
	// Without a connection deadline to set (HTTP/2, tests), the pace is not kept.
	_ = p.rc.SetReadDeadline(start.Add(paceWait - p.waited))
	n, err := p.body.Read(b)
	p.waited += time.Since(start)
	p.got += int64(n)
	if err != nil && err != io.EOF && p.err == nil {
		p.err = err
	}
	if p.got >= paceBytes {
		p.got, p.waited = 0, 0
	}
	return n, err
}

func (p *pacedBody) Close() error { return p.body.Close() }
