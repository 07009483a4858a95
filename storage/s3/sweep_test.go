package s3_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/wippidu/wippidu/internal/s3test"
)

func TestSweepAbortsIncompleteMultipartUploads(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	store := newStore(t, srv, srv.Endpoint, nil)
	ctx := context.Background()
	// What a process killed in the middle of a multipart Put leaves behind.
	if _, err := srv.Client.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{
		Bucket: aws.String(srv.Bucket), Key: aws.String(store.ObjectKey("imports/killed.json.gz")),
	}); err != nil {
		t.Fatal(err)
	}
	if n, err := store.SweepIncomplete(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("sweep of a young upload: got %d, %v; want 0", n, err)
	}
	n, err := store.SweepIncomplete(ctx, time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("swept: got %d, want 1", n)
	}
	out, err := srv.Client.ListMultipartUploads(ctx, &awss3.ListMultipartUploadsInput{Bucket: aws.String(srv.Bucket)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Uploads) != 0 {
		t.Errorf("multipart uploads left: %d", len(out.Uploads))
	}
}
