package worker_test

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wippidu/wippidu/internal/s3test"
	"github.com/wippidu/wippidu/internal/testdb"
	"github.com/wippidu/wippidu/storage/s3"
)

// badS3 stands between wippidu and a real S3 server: it answers every third request
// with a 500 and serves object bodies slowly, like a struggling store.
type badS3 struct {
	URL        string
	failEvery  int64
	requests   atomic.Int64
	failed     atomic.Int64
	slowChunks atomic.Int64
}

func newBadS3(t *testing.T, target string) *badS3 {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	b := &badS3{failEvery: 3}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ErrorLog = log.New(io.Discard, "", 0)
	rp.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.Method == http.MethodGet && resp.StatusCode/100 == 2 {
			resp.Body = &slowBody{ReadCloser: resp.Body, chunks: &b.slowChunks}
		}
		return nil
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if b.requests.Add(1)%b.failEvery == 0 {
			b.failed.Add(1)
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>`)
			return
		}
		rp.ServeHTTP(w, r) // Host is kept, so SigV4 signatures stay valid
	}))
	t.Cleanup(srv.Close)
	b.URL = srv.URL
	return b
}

// slowBody hands out at most 16 KiB per read, pausing before each.
type slowBody struct {
	io.ReadCloser
	chunks *atomic.Int64
}

func (s *slowBody) Read(p []byte) (int, error) {
	if len(p) > 16<<10 {
		p = p[:16<<10]
	}
	time.Sleep(2 * time.Millisecond)
	s.chunks.Add(1)
	return s.ReadCloser.Read(p)
}

func TestRefreshThroughAFailingSlowS3(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	bad := newBadS3(t, srv.Endpoint)
	store := func(prefix string) *s3.Store {
		st, err := s3.New(t.Context(), s3.Config{Bucket: srv.Bucket, Prefix: prefix, Endpoint: bad.URL, Region: srv.Region,
			PathStyle: true, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, PartSize: s3.MinPartSize})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	prod := newInstance(t, instanceOpts{store: store("production")})
	testdb.Fixture(t, prod.pool)
	testdb.BulkMessages(t, prod.pool, 20000)
	staging := newInstance(t, instanceOpts{allowImport: true, store: store("staging")})
	testdb.Fixture(t, staging.pool)

	key, size := prod.exportFile(t) // uploaded through the 500s
	s, err := staging.sub.Import(context.Background(), importRequest(upload(t, prod, staging, key)))
	if err != nil {
		t.Fatal(err)
	}
	st := staging.wait(t, s.JobID)
	if !st.Succeeded {
		t.Fatalf("import through a failing, slow S3: %s (attempt %d)", st.Error, st.Attempt)
	}
	if bad.failed.Load() == 0 || bad.slowChunks.Load() < size/(16<<10) {
		t.Fatalf("the store was not bad enough: %d failed requests, %d slow chunks for %d bytes", bad.failed.Load(), bad.slowChunks.Load(), size)
	}
	t.Logf("%d of %d S3 requests answered 500; %d slow body chunks; import attempt %d", bad.failed.Load(), bad.requests.Load(), bad.slowChunks.Load(), st.Attempt)
	// Staging now holds production's rows exactly (anonymized columns aside).
	var msgs int
	if err := staging.pool.QueryRow(context.Background(), "SELECT count(*) FROM messages").Scan(&msgs); err != nil {
		t.Fatal(err)
	}
	if msgs != 20004 {
		t.Errorf("messages on staging: got %d, want 20004", msgs)
	}
}
