// Package s3 stores objects in a bucket of an S3-compatible object store
// (AWS S3, MinIO, versitygw, Ceph, …) through aws-sdk-go-v2.
//
// Every key lives below an optional key prefix in one bucket. Put uploads in
// parts of PartSize bytes with at most Concurrency parts in flight, so memory
// stays bounded whatever the object size, and aborts the multipart upload on any
// failure so nothing partial is left behind. Open streams the object and, when
// the connection breaks mid-way, resumes from the current offset with a ranged
// request.
//
// Credentials come from the standard AWS chain (AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, shared config files, web identity, instance roles)
// unless Config sets them explicitly.
package s3

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/wippidu/wippidu/storage/internal/object"
)

// Defaults for the zero values of Config.
const (
	DefaultRegion      = "us-east-1"
	DefaultPartSize    = 8 << 20
	DefaultConcurrency = 2
)

// Limits S3 puts on multipart uploads.
const (
	MinPartSize = 5 << 20
	MaxPartSize = 5 << 30
	maxParts    = 10000
)

// Config says which bucket to use and how to reach it.
type Config struct {
	// Bucket is the bucket name. Required.
	Bucket string
	// Prefix is prepended, with a "/", to every key; empty means the bucket root.
	Prefix string
	// Endpoint is the base URL of an S3-compatible server such as
	// "http://127.0.0.1:7070"; empty means AWS (or AWS_ENDPOINT_URL_S3).
	Endpoint string
	// Region is the signing region; empty means the AWS configuration's region,
	// or DefaultRegion if it has none.
	Region string
	// PathStyle addresses the bucket in the path (http://host/bucket/key) rather
	// than in the host name; most S3-compatible servers need it.
	PathStyle bool
	// SSE is the server-side encryption requested for new objects, "AES256" or
	// "aws:kms"; empty requests none.
	SSE string
	// AccessKey and SecretKey, when both set, replace the default credential
	// chain.
	AccessKey string
	SecretKey string
	// PartSize is the size of each uploaded part and so the memory one part in
	// flight takes; 0 means DefaultPartSize. An object may have at most 10,000
	// parts, so the largest object is 10,000 × PartSize (78 GiB by default).
	PartSize int64
	// Concurrency is how many parts are uploaded at once; 0 means
	// DefaultConcurrency. Put holds at most Concurrency+1 parts in memory.
	Concurrency int
}

// Store is an S3 bucket backend. Its methods are safe for concurrent use.
type Store struct {
	client      *awss3.Client
	bucket      string
	prefix      string // "" or ends in "/"
	sse         types.ServerSideEncryption
	partSize    int64
	concurrency int
}

// New checks cfg, fills in the defaults and returns a Store. It does not contact
// the server; use Ping for that.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.fillDefaults(); err != nil {
		return nil, fmt.Errorf("new s3 store: %w", err)
	}
	opts := []func(*config.LoadOptions) error{
		// The SDK's default CRC checksums on every request and response are not
		// understood by every S3-compatible server; SigV4 payload signing and TLS
		// already protect the bytes in transit.
		config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
		config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
	}
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	if cfg.AccessKey != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, "")))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("new s3 store: load aws config: %w", err)
	}
	if awsCfg.Region == "" {
		awsCfg.Region = DefaultRegion
	}
	client := awss3.NewFromConfig(awsCfg, func(o *awss3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.PathStyle
		// Without response validation there is nothing to skip; silence the
		// warning the SDK would log for every multipart object.
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	s := &Store{
		client:      client,
		bucket:      cfg.Bucket,
		sse:         types.ServerSideEncryption(cfg.SSE),
		partSize:    cfg.PartSize,
		concurrency: cfg.Concurrency,
	}
	if cfg.Prefix != "" {
		s.prefix = cfg.Prefix + "/"
	}
	return s, nil
}

// fillDefaults validates cfg and replaces zero values by the defaults.
func (cfg *Config) fillDefaults() error {
	if cfg.Bucket == "" {
		return errors.New("bucket is empty")
	}
	cfg.Prefix = strings.Trim(cfg.Prefix, "/")
	if cfg.Prefix != "" {
		if err := object.ValidateKey(cfg.Prefix); err != nil {
			return fmt.Errorf("prefix: %w", err)
		}
	}
	if cfg.Endpoint != "" {
		u, err := url.Parse(cfg.Endpoint)
		if err != nil {
			return fmt.Errorf("endpoint: %w", err)
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("endpoint %q is not an http:// or https:// URL", cfg.Endpoint)
		}
	}
	switch types.ServerSideEncryption(cfg.SSE) {
	case "", types.ServerSideEncryptionAes256, types.ServerSideEncryptionAwsKms, types.ServerSideEncryptionAwsKmsDsse:
	default:
		return fmt.Errorf("sse %q is not one of %q, %q, %q", cfg.SSE,
			types.ServerSideEncryptionAes256, types.ServerSideEncryptionAwsKms, types.ServerSideEncryptionAwsKmsDsse)
	}
	if (cfg.AccessKey == "") != (cfg.SecretKey == "") {
		return errors.New("access key and secret key must be set together")
	}
	switch {
	case cfg.PartSize == 0:
		cfg.PartSize = DefaultPartSize
	case cfg.PartSize < MinPartSize || cfg.PartSize > MaxPartSize:
		return fmt.Errorf("part size %d is outside [%d, %d]", cfg.PartSize, MinPartSize, MaxPartSize)
	}
	switch {
	case cfg.Concurrency == 0:
		cfg.Concurrency = DefaultConcurrency
	case cfg.Concurrency < 0:
		return fmt.Errorf("concurrency %d is negative", cfg.Concurrency)
	}
	return nil
}

// Bucket returns the bucket name.
func (s *Store) Bucket() string {
	return s.bucket
}

// ObjectKey returns the full key in the bucket of the storage key, including the
// configured prefix.
func (s *Store) ObjectKey(key string) string {
	return s.prefix + key
}

// Stat describes the object at key with a HEAD request. See storage.Storage.
func (s *Store) Stat(ctx context.Context, key string) (object.Info, error) {
	if err := object.ValidateKey(key); err != nil {
		return object.Info{}, fmt.Errorf("stat: %w", err)
	}
	out, err := s.client.HeadObject(ctx, &awss3.HeadObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(s.ObjectKey(key)),
	})
	if err != nil {
		return object.Info{}, fmt.Errorf("stat %q: %w", key, s.mapNotExist(err, key))
	}
	return object.Info{
		Key:     key,
		Size:    aws.ToInt64(out.ContentLength),
		ModTime: aws.ToTime(out.LastModified),
	}, nil
}

// List returns the objects whose keys start with prefix, sorted by key.
// See storage.Storage.
func (s *Store) List(ctx context.Context, prefix string) ([]object.Info, error) {
	if err := object.ValidatePrefix(prefix); err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	objects := []object.Info{}
	pages := awss3.NewListObjectsV2Paginator(s.client, &awss3.ListObjectsV2Input{
		Bucket: aws.String(s.bucket),
		Prefix: aws.String(s.ObjectKey(prefix)),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %q: %w", prefix, err)
		}
		for _, o := range page.Contents {
			key := strings.TrimPrefix(aws.ToString(o.Key), s.prefix)
			// Objects written by other tools may not be valid keys (for example
			// "dir/" markers); they could not be opened, so they are not listed.
			if object.ValidateKey(key) != nil {
				continue
			}
			objects = append(objects, object.Info{
				Key:     key,
				Size:    aws.ToInt64(o.Size),
				ModTime: aws.ToTime(o.LastModified),
			})
		}
	}
	// S3 lists in UTF-8 byte order already; not every compatible server does.
	slices.SortFunc(objects, func(a, b object.Info) int { return strings.Compare(a.Key, b.Key) })
	return objects, nil
}

// Delete removes the object at key; a missing object is not an error.
// See storage.Storage.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := object.ValidateKey(key); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	_, err := s.client.DeleteObject(ctx, &awss3.DeleteObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(s.ObjectKey(key)),
	})
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("delete %q: %w", key, err)
	}
	return nil
}

// Ping checks with a HEAD request that the bucket exists and the credentials
// may use it.
func (s *Store) Ping(ctx context.Context) error {
	_, err := s.client.HeadBucket(ctx, &awss3.HeadBucketInput{Bucket: aws.String(s.bucket)})
	if err != nil {
		return fmt.Errorf("ping bucket %q: %w", s.bucket, err)
	}
	return nil
}

// isNotFound reports whether err is S3's answer for a missing object.
func isNotFound(err error) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	switch apiErr.ErrorCode() {
	case "NoSuchKey", "NotFound": // HEAD responses have no body, hence no NoSuchKey
		return true
	}
	return false
}

// mapNotExist replaces S3's answer for a missing object by an error for which
// errors.Is(err, fs.ErrNotExist) holds; other errors are returned as they are.
func (s *Store) mapNotExist(err error, key string) error {
	if isNotFound(err) {
		return fmt.Errorf("object %q in bucket %q: %w", s.ObjectKey(key), s.bucket, fs.ErrNotExist)
	}
	return err
}

// SweepIncomplete aborts multipart uploads under the store's prefix that were
// started before olderThan (left behind when a process was killed mid-Put).
func (s *Store) SweepIncomplete(ctx context.Context, olderThan time.Time) (int, error) {
	n := 0
	in := &awss3.ListMultipartUploadsInput{Bucket: aws.String(s.bucket)}
	if s.prefix != "" {
		in.Prefix = aws.String(s.prefix)
	}
	for {
		out, err := s.client.ListMultipartUploads(ctx, in)
		if err != nil {
			return n, fmt.Errorf("list multipart uploads: %w", err)
		}
		for _, u := range out.Uploads {
			if u.Initiated == nil || !u.Initiated.Before(olderThan) {
				continue
			}
			if _, err := s.client.AbortMultipartUpload(ctx, &awss3.AbortMultipartUploadInput{
				Bucket: aws.String(s.bucket), Key: u.Key, UploadId: u.UploadId,
			}); err != nil {
				return n, fmt.Errorf("abort multipart upload of %q: %w", aws.ToString(u.Key), err)
			}
			n++
		}
		if !aws.ToBool(out.IsTruncated) {
			return n, nil
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
}
