package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/wippidu/wippidu/storage/internal/object"
)

// Resuming a broken download: how often in a row, and how long to wait before
// the first retry (doubled after each failure).
const (
	maxResumes    = 5
	resumeBackoff = 200 * time.Millisecond
)

// Open streams the object at key. See storage.Storage.
//
// When the connection breaks mid-way, the reader asks for the rest of the object
// with a Range request pinned to the ETag it started with, so a multi-gigabyte
// read survives a flaky network, and a replaced object is never spliced into the
// old one. It gives up after five attempts in a row that deliver no byte.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := object.ValidateKey(key); err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	out, err := s.client.GetObject(ctx, &awss3.GetObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(s.ObjectKey(key)),
	})
	if err != nil {
		return nil, fmt.Errorf("open %q: %w", key, s.mapNotExist(err, key))
	}
	return &reader{
		ctx:   ctx,
		store: s,
		key:   key,
		body:  out.Body,
		etag:  out.ETag,
		size:  aws.ToInt64(out.ContentLength),
	}, nil
}

// reader is the body of a GetObject that resumes after a broken connection.
type reader struct {
	ctx   context.Context
	store *Store
	key   string
	body  io.ReadCloser
	etag  *string
	size  int64 // 0 when the server sent no length
	off   int64
	fails int // failures since the last byte read
}

func (r *reader) Read(p []byte) (int, error) {
	// The HTTP body may already hold the rest of the object; a cancelled read
	// stops anyway.
	if err := r.ctx.Err(); err != nil {
		return 0, fmt.Errorf("read %q: %w", r.key, err)
	}
	for {
		n, err := r.body.Read(p)
		r.off += int64(n)
		if n > 0 {
			r.fails = 0
		}
		if r.size > 0 && err != nil {
			if r.off < r.size && err == io.EOF {
				err = io.ErrUnexpectedEOF // the connection closed early
			} else if r.off == r.size {
				err = io.EOF // every byte arrived; a late error does not matter
			}
		}
		if err == nil || err == io.EOF {
			return n, err
		}
		if resumeErr := r.resume(err); resumeErr != nil {
			return n, fmt.Errorf("read %q at offset %d: %w", r.key, r.off, resumeErr)
		}
		if n > 0 {
			return n, nil
		}
	}
}

// resume replaces the broken body by a new one starting at r.off, or returns
// why it cannot.
func (r *reader) resume(cause error) error {
	if r.ctx.Err() != nil || r.size == 0 {
		return cause
	}
	r.body.Close()
	r.body = io.NopCloser(errReader{cause})
	for r.fails < maxResumes {
		r.fails++
		select {
		case <-time.After(resumeBackoff << (r.fails - 1)):
		case <-r.ctx.Done():
			return errors.Join(cause, context.Cause(r.ctx))
		}
		out, err := r.store.client.GetObject(r.ctx, &awss3.GetObjectInput{
			Bucket:  aws.String(r.store.bucket),
			Key:     aws.String(r.store.ObjectKey(r.key)),
			Range:   aws.String(fmt.Sprintf("bytes=%d-", r.off)),
			IfMatch: r.etag,
		})
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode() == "PreconditionFailed" {
			return fmt.Errorf("object was replaced while being read: %w", err)
		}
		if err != nil {
			cause = fmt.Errorf("resume: %w", err)
			continue
		}
		// A server that ignores Range sends the whole object again, which must
		// not be appended to what was already read.
		want := fmt.Sprintf("bytes %d-", r.off)
		if got := aws.ToString(out.ContentRange); !strings.HasPrefix(got, want) {
			out.Body.Close()
			return fmt.Errorf("resume: server answered range %q, want %q", got, want+"…")
		}
		r.body = out.Body
		return nil
	}
	return fmt.Errorf("gave up after %d attempts to resume: %w", maxResumes, cause)
}

func (r *reader) Close() error {
	return r.body.Close()
}

// errReader fails every read with err.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
