package s3_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/wippidu/wippidu/internal/s3test"
	"github.com/wippidu/wippidu/storage"
	"github.com/wippidu/wippidu/storage/s3"
	"github.com/wippidu/wippidu/storage/storagetest"
)

// newStore returns a store for srv's bucket that reaches it at endpoint (the
// server itself or a proxy in front of it), with the smallest part size so
// that modest objects take the multipart path.
func newStore(t *testing.T, srv *s3test.Server, endpoint string, change func(*s3.Config)) *s3.Store {
	t.Helper()
	cfg := s3.Config{
		Bucket:    srv.Bucket,
		Prefix:    "wippidu/dumps",
		Endpoint:  endpoint,
		Region:    srv.Region,
		PathStyle: true,
		AccessKey: srv.AccessKey,
		SecretKey: srv.SecretKey,
		PartSize:  s3.MinPartSize,
	}
	if change != nil {
		change(&cfg)
	}
	store, err := s3.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return store
}

func TestContract(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	store := newStore(t, srv, srv.Endpoint, nil)
	t.Run("contract", func(t *testing.T) {
		storagetest.RunContract(t, func(*testing.T) storage.Storage { return store })
	})

	// The contract's failed and cancelled Puts must not have left parts behind.
	out, err := srv.Client.ListMultipartUploads(t.Context(), &awss3.ListMultipartUploadsInput{Bucket: aws.String(srv.Bucket)})
	if err != nil {
		t.Fatalf("ListMultipartUploads: %v", err)
	}
	for _, u := range out.Uploads {
		t.Errorf("multipart upload %s of %q left behind", aws.ToString(u.UploadId), aws.ToString(u.Key))
	}
}

func TestPrefix(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	ctx := t.Context()
	store := newStore(t, srv, srv.Endpoint, nil)
	if _, err := store.Put(ctx, "a/b.json.gz", strings.NewReader("x")); err != nil {
		t.Fatalf("Put: %v", err)
	}
	want := "wippidu/dumps/a/b.json.gz"
	if got := store.ObjectKey("a/b.json.gz"); got != want {
		t.Errorf("ObjectKey = %q, want %q", got, want)
	}
	if _, err := srv.Client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String(want)}); err != nil {
		t.Errorf("HeadObject(%q): %v", want, err)
	}
	// Objects outside the prefix are not the store's.
	if _, err := srv.Client.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String("elsewhere"), Body: strings.NewReader("y")}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	objs, err := store.List(ctx, "")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(objs) != 1 || objs[0].Key != "a/b.json.gz" {
		t.Errorf("List = %+v, want only a/b.json.gz", objs)
	}
}

func TestPingMissingBucket(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	store := newStore(t, srv, srv.Endpoint, func(c *s3.Config) { c.Bucket = "no-such-bucket" })
	if err := store.Ping(t.Context()); err == nil {
		t.Errorf("Ping of a missing bucket: got nil, want an error")
	}
}

func TestSSE(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	ctx := t.Context()
	rec := newProxy(t, srv.Endpoint)
	store := newStore(t, srv, rec.URL, func(c *s3.Config) { c.SSE = "AES256" })

	for _, tt := range []struct {
		name string
		size int64
	}{
		{"single request", 1000},
		{"multipart", s3.MinPartSize + 1},
	} {
		key := "sse/" + strings.ReplaceAll(tt.name, " ", "-")
		_, err := store.Put(ctx, key, storagetest.Random(1, tt.size))
		if apiErr := (smithy.APIError)(nil); errors.As(err, &apiErr) && apiErr.ErrorCode() == "NotImplemented" {
			t.Skipf("versitygw %s does not implement server-side encryption: Put with SSE=AES256 failed: %v", s3test.Version, err)
		}
		if err != nil {
			t.Fatalf("Put(%q) with SSE: %v", key, err)
		}
		// The header went out; whether the server honours it is checked below.
		if got := rec.headerFor(store.ObjectKey(key), "X-Amz-Server-Side-Encryption"); !slices.Contains(got, "AES256") {
			t.Fatalf("requests for %q sent x-amz-server-side-encryption %q, want AES256", key, got)
		}
		head, err := srv.Client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String(store.ObjectKey(key))})
		if err != nil {
			t.Fatalf("HeadObject(%q): %v", key, err)
		}
		switch head.ServerSideEncryption {
		case types.ServerSideEncryptionAes256:
		case "":
			t.Skipf("versitygw %s does not implement server-side encryption: it accepted x-amz-server-side-encryption: AES256 on %s but HeadObject reports no ServerSideEncryption", s3test.Version, tt.name)
		default:
			t.Errorf("HeadObject(%q).ServerSideEncryption = %q, want %q", key, head.ServerSideEncryption, types.ServerSideEncryptionAes256)
		}
	}
}

// TestOpenResumes reads through a proxy that breaks every response body after
// 3 MiB: the reader must resume with Range requests and deliver every byte.
func TestOpenResumes(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	ctx := t.Context()
	const size = 10*storagetest.MiB + 5
	direct := newStore(t, srv, srv.Endpoint, nil)
	if _, err := direct.Put(ctx, "big", storagetest.Random(7, size)); err != nil {
		t.Fatalf("Put: %v", err)
	}

	flaky := newProxy(t, srv.Endpoint)
	flaky.cutAfter.Store(3 * storagetest.MiB)
	store := newStore(t, srv, flaky.URL, nil)
	rc, err := store.Open(ctx, "big")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer rc.Close()
	got, want := sha256.New(), sha256.New()
	n, err := io.Copy(got, rc)
	if err != nil {
		t.Fatalf("read through a flaky connection after %d bytes: %v", n, err)
	}
	io.Copy(want, storagetest.Random(7, size))
	if n != size || !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		t.Errorf("read %d bytes with sha256 %x, want %d bytes with sha256 %x", n, got.Sum(nil), size, want.Sum(nil))
	}
	if got, want := flaky.cuts.Load(), int64(3); got < want {
		t.Errorf("proxy broke %d responses, want at least %d (else nothing was resumed)", got, want)
	}
}

// TestOpenGivesUp checks that the retries are bounded: when every resumed
// response breaks before its first byte, Read fails instead of looping.
func TestOpenGivesUp(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	ctx := t.Context()
	direct := newStore(t, srv, srv.Endpoint, nil)
	if _, err := direct.Put(ctx, "obj", storagetest.Random(8, 2*storagetest.MiB)); err != nil {
		t.Fatalf("Put: %v", err)
	}
	flaky := newProxy(t, srv.Endpoint)
	flaky.cutAfter.Store(storagetest.MiB)
	store := newStore(t, srv, flaky.URL, nil)
	rc, err := store.Open(ctx, "obj")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer rc.Close()
	flaky.cutAfter.Store(0) // from now on nothing gets through
	n, err := io.Copy(io.Discard, rc)
	if err == nil {
		t.Fatalf("read with a dead connection: got %d bytes and no error, want an error", n)
	}
	if n != storagetest.MiB {
		t.Errorf("read %d bytes before failing, want %d", n, storagetest.MiB)
	}
}

// TestOpenObjectReplaced checks that a resumed read never splices a new version
// of the object into the old one.
func TestOpenObjectReplaced(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	ctx := t.Context()
	direct := newStore(t, srv, srv.Endpoint, nil)
	if _, err := direct.Put(ctx, "obj", storagetest.Random(10, 2*storagetest.MiB)); err != nil {
		t.Fatalf("Put: %v", err)
	}
	flaky := newProxy(t, srv.Endpoint)
	flaky.cutAfter.Store(storagetest.MiB)
	store := newStore(t, srv, flaky.URL, nil)
	rc, err := store.Open(ctx, "obj")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer rc.Close()
	if _, err := direct.Put(ctx, "obj", storagetest.Random(11, 2*storagetest.MiB)); err != nil {
		t.Fatalf("replacing Put: %v", err)
	}
	n, err := io.Copy(io.Discard, rc)
	if err == nil || !strings.Contains(err.Error(), "replaced while being read") {
		t.Errorf("read across a replacement: got %d bytes and %v, want an error saying the object was replaced", n, err)
	}
}

func TestOpenCancelled(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	store := newStore(t, srv, srv.Endpoint, nil)
	if _, err := store.Put(t.Context(), "obj", storagetest.Random(9, 2*storagetest.MiB)); err != nil {
		t.Fatalf("Put: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	rc, err := store.Open(ctx, "obj")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer rc.Close()
	cancel()
	if _, err := io.Copy(io.Discard, rc); !errors.Is(err, context.Canceled) {
		t.Errorf("read after cancel: got %v, want context.Canceled", err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	valid := s3.Config{Bucket: "b", Region: "us-east-1", AccessKey: "a", SecretKey: "s"}
	tests := []struct {
		name   string
		change func(*s3.Config)
		want   string
	}{
		{"no bucket", func(c *s3.Config) { c.Bucket = "" }, "bucket is empty"},
		{"bad endpoint", func(c *s3.Config) { c.Endpoint = "127.0.0.1:7070" }, "endpoint"},
		{"bad sse", func(c *s3.Config) { c.SSE = "rot13" }, `sse "rot13"`},
		{"access key alone", func(c *s3.Config) { c.SecretKey = "" }, "set together"},
		{"part too small", func(c *s3.Config) { c.PartSize = 1 << 20 }, "part size"},
		{"negative concurrency", func(c *s3.Config) { c.Concurrency = -1 }, "concurrency"},
		{"bad prefix", func(c *s3.Config) { c.Prefix = "a/../b" }, "prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			tt.change(&cfg)
			_, err := s3.New(t.Context(), cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if _, err := s3.New(t.Context(), valid); err != nil {
		t.Errorf("New(valid config): %v", err)
	}
}
