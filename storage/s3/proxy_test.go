package s3_test

import (
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// proxy is a reverse proxy in front of the S3 server that records requests and
// can break response bodies mid-way, like a flaky network.
type proxy struct {
	URL string
	// cutAfter, when not negative, breaks every GET response body after that
	// many bytes.
	cutAfter atomic.Int64
	// cuts counts the broken responses.
	cuts atomic.Int64

	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	method, path string
	header       http.Header
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{}
	p.cutAfter.Store(-1)
	rp := httputil.NewSingleHostReverseProxy(u)
	// The Host header is left as the client sent it, so SigV4 signatures,
	// which cover it, stay valid.
	rp.ModifyResponse = func(resp *http.Response) error {
		limit := p.cutAfter.Load()
		if resp.Request.Method == http.MethodGet && resp.StatusCode/100 == 2 && limit >= 0 {
			resp.Body = &cutBody{ReadCloser: resp.Body, left: limit, cuts: &p.cuts}
		}
		return nil
	}
	rp.ErrorLog = log.New(io.Discard, "", 0) // the cuts are on purpose
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.reqs = append(p.reqs, recorded{r.Method, r.URL.Path, r.Header.Clone()})
		p.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// headerFor returns the values of header in every request for a path ending in
// "/"+key.
func (p *proxy) headerFor(key, header string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var values []string
	for _, r := range p.reqs {
		if strings.HasSuffix(r.path, "/"+key) {
			values = append(values, r.header.Values(header)...)
		}
	}
	return values
}

var errCut = errors.New("proxy cut the connection")

// cutBody fails after left bytes; the reverse proxy then aborts the connection,
// which the client sees as a response cut short.
type cutBody struct {
	io.ReadCloser
	left int64
	cuts *atomic.Int64
}

func (c *cutBody) Read(p []byte) (int, error) {
	if c.left <= 0 {
		c.cuts.Add(1)
		return 0, errCut
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.ReadCloser.Read(p)
	c.left -= int64(n)
	return n, err
}
