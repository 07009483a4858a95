package s3test_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/wippidu/wippidu/internal/s3test"
)

func TestStart(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	ctx := t.Context()
	for _, bucket := range []string{srv.Bucket, srv.NewBucket(t)} {
		if _, err := srv.Client.HeadBucket(ctx, &awss3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
			t.Errorf("HeadBucket(%q): %v", bucket, err)
		}
		out, err := srv.Client.ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatalf("ListObjectsV2(%q): %v", bucket, err)
		}
		if got := len(out.Contents); got != 0 {
			t.Errorf("bucket %q holds %d objects, want 0", bucket, got)
		}
	}
}
