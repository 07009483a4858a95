package storage

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/wippidu/wippidu/storage/file"
	"github.com/wippidu/wippidu/storage/s3"
)

var (
	_ Storage = (*file.Store)(nil)
	_ Storage = (*s3.Store)(nil)
	_ Sweeper = (*file.Store)(nil)
	_ Sweeper = (*s3.Store)(nil)
	_ Linker  = (*file.Store)(nil)
)

// s3Params are the query parameters an s3:// URL may carry.
var s3Params = []string{"endpoint", "region", "path_style", "sse"}

// Open returns the backend that rawURL (the STORAGE_URL setting) names:
//
//	file:///var/lib/wippidu/dumps
//	s3://bucket/optional/prefix?endpoint=http://127.0.0.1:7070&region=us-east-1&path_style=true&sse=AES256
//
// A file:// URL takes an absolute path; the folder is created if missing. An
// s3:// URL takes the bucket as host and an optional key prefix as path; all
// query parameters are optional. S3 credentials come from the standard AWS
// environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) or the rest
// of the default AWS credential chain, never from the URL. Open does not contact
// the backend; call Ping for that.
func Open(ctx context.Context, rawURL string) (Storage, error) {
	if rawURL == "" {
		return nil, errors.New("open storage: URL is empty, want file:///path or s3://bucket/prefix")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("open storage: %w", err)
	}
	switch u.Scheme {
	case "file":
		return openFile(u)
	case "s3":
		return openS3(ctx, u)
	case "":
		return nil, fmt.Errorf("open storage %q: no scheme, want file:// or s3://", rawURL)
	default:
		return nil, fmt.Errorf("open storage %q: unknown scheme %q, want file:// or s3://", rawURL, u.Scheme)
	}
}

func openFile(u *url.URL) (Storage, error) {
	if u.Host == "." && u.User == nil && u.RawQuery == "" && u.Fragment == "" {
		// file://./data/storage: relative to the working directory (the default,
		// handy for a first run; deployments give an absolute path).
		abs, err := filepath.Abs("." + filepath.FromSlash(u.Path))
		if err != nil {
			return nil, fmt.Errorf("open storage %q: %w", u.Redacted(), err)
		}
		u = &url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}
	}
	switch {
	case u.Opaque != "":
		return nil, fmt.Errorf("open storage %q: want an absolute path, as in file:///var/lib/wippidu", u.Redacted())
	case u.Host != "" && u.Host != "localhost":
		return nil, fmt.Errorf("open storage %q: host %q is not supported, want file:///path", u.Redacted(), u.Host)
	case u.User != nil:
		return nil, fmt.Errorf("open storage %q: user info is not supported", u.Redacted())
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("open storage %q: file URLs take no query or fragment", u.Redacted())
	case u.Path == "" || !filepath.IsAbs(filepath.FromSlash(u.Path)):
		return nil, fmt.Errorf("open storage %q: path is not absolute", u.Redacted())
	}
	store, err := file.New(filepath.FromSlash(u.Path))
	if err != nil {
		return nil, fmt.Errorf("open storage: %w", err)
	}
	return store, nil
}

func openS3(ctx context.Context, u *url.URL) (Storage, error) {
	if u.Host == "" {
		return nil, fmt.Errorf("open storage %q: missing bucket, want s3://bucket/prefix", u.Redacted())
	}
	if u.Port() != "" {
		return nil, fmt.Errorf("open storage %q: bucket %q has a port; put the server in ?endpoint=", u.Redacted(), u.Host)
	}
	if u.User != nil {
		return nil, fmt.Errorf("open storage %q: credentials do not belong in the URL, set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", u.Redacted())
	}
	if u.Fragment != "" {
		return nil, fmt.Errorf("open storage %q: s3 URLs take no fragment", u.Redacted())
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("open storage %q: query: %w", u.Redacted(), err)
	}
	for name, values := range q {
		if !slices.Contains(s3Params, name) {
			return nil, fmt.Errorf("open storage %q: unknown parameter %q, want one of %s", u.Redacted(), name, strings.Join(s3Params, ", "))
		}
		if len(values) > 1 {
			return nil, fmt.Errorf("open storage %q: parameter %q given %d times", u.Redacted(), name, len(values))
		}
	}
	cfg := s3.Config{
		Bucket:   u.Host,
		Prefix:   strings.Trim(u.Path, "/"),
		Endpoint: q.Get("endpoint"),
		Region:   q.Get("region"),
		SSE:      q.Get("sse"),
	}
	if v := q.Get("path_style"); v != "" {
		if cfg.PathStyle, err = strconv.ParseBool(v); err != nil {
			return nil, fmt.Errorf("open storage %q: path_style %q is not true or false", u.Redacted(), v)
		}
	}
	store, err := s3.New(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open storage: %w", err)
	}
	return store, nil
}
