package s3

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"

	"github.com/wippidu/wippidu/storage/internal/object"
)

// Cleaning up a failed multipart upload: how long it may take in all (it runs
// even when the caller's context is already cancelled), how often to abort, and
// how long to wait before checking that the first abort took.
const (
	abortTimeout    = 30 * time.Second
	maxAborts       = 5
	abortCheckDelay = 50 * time.Millisecond
)

// Put streams r into the object at key. See storage.Storage.
//
// An object that fits in one part is sent with a single PutObject; a larger one
// with a multipart upload that is completed only after r has been read to the
// end, and aborted on any error.
func (s *Store) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if err := object.ValidateKey(key); err != nil {
		return 0, fmt.Errorf("put: %w", err)
	}
	n, err := s.put(ctx, key, object.ContextReader(ctx, r))
	if err != nil {
		return 0, fmt.Errorf("put %q: %w", key, err)
	}
	return n, nil
}

// put reads the first part and picks the single request or the multipart upload.
func (s *Store) put(ctx context.Context, key string, r io.Reader) (int64, error) {
	first := make([]byte, s.partSize)
	n, err := io.ReadFull(r, first)
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return int64(n), s.putSmall(ctx, key, first[:n])
	case err != nil:
		return 0, fmt.Errorf("read: %w", err)
	}
	return s.putMultipart(ctx, key, first, r)
}

// putSmall stores data with one request.
func (s *Store) putSmall(ctx context.Context, key string, data []byte) error {
	_, err := s.client.PutObject(ctx, &awss3.PutObjectInput{
		Bucket:               aws.String(s.bucket),
		Key:                  aws.String(s.ObjectKey(key)),
		Body:                 bytes.NewReader(data),
		ContentLength:        aws.Int64(int64(len(data))),
		ServerSideEncryption: s.sse,
	})
	return err
}

// putMultipart uploads first, a full part already read, and then the rest of r
// part by part, with at most s.concurrency parts in flight.
func (s *Store) putMultipart(ctx context.Context, key string, first []byte, r io.Reader) (int64, error) {
	created, err := s.client.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{
		Bucket:               aws.String(s.bucket),
		Key:                  aws.String(s.ObjectKey(key)),
		ServerSideEncryption: s.sse,
	})
	if err != nil {
		return 0, fmt.Errorf("create multipart upload: %w", err)
	}
	up := &upload{store: s, key: s.ObjectKey(key), id: created.UploadId}
	total, err := up.send(ctx, first, r)
	if err == nil {
		err = up.complete(ctx)
	}
	if err != nil {
		if abortErr := up.abort(ctx); abortErr != nil {
			err = errors.Join(err, abortErr)
		}
		return 0, err
	}
	return total, nil
}

// upload is one multipart upload in progress.
type upload struct {
	store *Store
	key   string
	id    *string

	mu    sync.Mutex
	parts []types.CompletedPart
	// interrupted is set when a part request failed: the server may still be
	// storing that part, so abort has to check that the upload is really gone.
	interrupted atomic.Bool
}

// send uploads first and the rest of r. It returns the first error of reading
// or of uploading, after every part in flight has finished.
func (u *upload) send(ctx context.Context, first []byte, r io.Reader) (int64, error) {
	g, gctx := errgroup.WithContext(ctx)
	// Buffers travel from the reader to an uploader and back; their number caps
	// both the memory and the parts in flight (one buffer is being filled).
	free := make(chan []byte, u.store.concurrency+1)
	for range u.store.concurrency {
		free <- nil // allocated on first use
	}

	var (
		total   int64
		readErr error
		stopped bool // gctx ended the loop: an upload failed or ctx was cancelled
		buf     = first
		n       = len(first)
	)
	for number := int32(1); ; number++ {
		if number > maxParts {
			readErr = fmt.Errorf("object is larger than %d parts of %d bytes", maxParts, u.store.partSize)
			break
		}
		total += int64(n)
		part, data := number, buf[:n]
		g.Go(func() error {
			err := u.uploadPart(gctx, part, data)
			free <- data[:cap(data)]
			return err
		})
		if n < len(buf) {
			break // that was the last, short part
		}

		select {
		case buf = <-free:
		case <-gctx.Done():
		}
		if err := context.Cause(gctx); err != nil {
			readErr, stopped = err, true
			break
		}
		if buf == nil {
			buf = make([]byte, u.store.partSize)
		}
		var err error
		n, err = io.ReadFull(r, buf)
		if err == io.EOF {
			break
		}
		if err != nil && err != io.ErrUnexpectedEOF {
			readErr = fmt.Errorf("read: %w", err)
			break
		}
	}
	// Parts in flight are left to finish even after a read error: a request
	// cancelled on our side may still be stored by the server after the abort.
	uploadErr := g.Wait()
	switch {
	case readErr != nil && !stopped:
		return 0, readErr
	case uploadErr != nil:
		return 0, uploadErr
	case readErr != nil:
		return 0, readErr
	}
	return total, nil
}

// uploadPart sends one part and records its ETag.
func (u *upload) uploadPart(ctx context.Context, number int32, data []byte) error {
	out, err := u.store.client.UploadPart(ctx, &awss3.UploadPartInput{
		Bucket:        aws.String(u.store.bucket),
		Key:           aws.String(u.key),
		UploadId:      u.id,
		PartNumber:    aws.Int32(number),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
	})
	if err != nil {
		u.interrupted.Store(true)
		return fmt.Errorf("upload part %d: %w", number, err)
	}
	u.mu.Lock()
	u.parts = append(u.parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(number)})
	u.mu.Unlock()
	return nil
}

// complete makes the object visible.
func (u *upload) complete(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	slices.SortFunc(u.parts, func(a, b types.CompletedPart) int {
		return cmp.Compare(aws.ToInt32(a.PartNumber), aws.ToInt32(b.PartNumber))
	})
	_, err := u.store.client.CompleteMultipartUpload(ctx, &awss3.CompleteMultipartUploadInput{
		Bucket:          aws.String(u.store.bucket),
		Key:             aws.String(u.key),
		UploadId:        u.id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: u.parts},
	})
	if err != nil {
		return fmt.Errorf("complete multipart upload: %w", err)
	}
	return nil
}

// abort discards the upload and its parts, even when ctx is already cancelled.
//
// S3 warns that a part still being uploaded may be stored after the abort, so
// when a part request failed, abort checks with ListParts that the upload is
// gone, and aborts again if it is not.
func (u *upload) abort(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
	defer cancel()
	delay := abortCheckDelay
	for attempt := 1; ; attempt++ {
		_, err := u.store.client.AbortMultipartUpload(ctx, &awss3.AbortMultipartUploadInput{
			Bucket:   aws.String(u.store.bucket),
			Key:      aws.String(u.key),
			UploadId: u.id,
		})
		if err != nil && !isNoSuchUpload(err) {
			return fmt.Errorf("abort multipart upload %s: %w", aws.ToString(u.id), err)
		}
		if !u.interrupted.Load() {
			return nil
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return fmt.Errorf("abort multipart upload %s: %w", aws.ToString(u.id), ctx.Err())
		}
		_, err = u.store.client.ListParts(ctx, &awss3.ListPartsInput{
			Bucket:   aws.String(u.store.bucket),
			Key:      aws.String(u.key),
			UploadId: u.id,
			MaxParts: aws.Int32(1),
		})
		switch {
		case isNoSuchUpload(err):
			return nil
		case err != nil:
			return nil // cannot check; the abort itself succeeded
		case attempt == maxAborts:
			return fmt.Errorf("multipart upload %s still exists after %d aborts", aws.ToString(u.id), attempt)
		}
		delay *= 2
	}
}

// isNoSuchUpload reports whether err says the multipart upload does not exist.
func isNoSuchUpload(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == "NoSuchUpload"
}
