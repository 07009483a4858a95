package storage_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wippidu/wippidu/internal/s3test"
	"github.com/wippidu/wippidu/storage"
	"github.com/wippidu/wippidu/storage/file"
	"github.com/wippidu/wippidu/storage/s3"
)

func TestOpen(t *testing.T) {
	// Keep the developer's AWS setup out of the test.
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
	dir := filepath.Join(t.TempDir(), "not", "yet")

	tests := []struct {
		url string
		// check inspects a store that opened; nil means Open must fail.
		check func(t *testing.T, s storage.Storage)
		// wantErr is part of the error message when Open must fail.
		wantErr string
	}{
		{url: "file://" + dir, check: func(t *testing.T, s storage.Storage) {
			fs, ok := s.(*file.Store)
			if !ok {
				t.Fatalf("got %T, want *file.Store", s)
			}
			if fs.Root() != dir {
				t.Errorf("Root() = %q, want %q", fs.Root(), dir)
			}
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
				t.Errorf("folder %q not created: %v", dir, err)
			}
		}},
		{url: "file://localhost" + dir, check: isFile},
		{url: "s3://dumps", check: isS3("dumps", "k")},
		{url: "s3://dumps/", check: isS3("dumps", "k")},
		{url: "s3://dumps/staging/imports/", check: isS3("dumps", "staging/imports/k")},
		{url: "s3://dumps/p?endpoint=http://127.0.0.1:7070&region=eu-central-1&path_style=true&sse=AES256", check: isS3("dumps", "p/k")},
		{url: "s3://dumps?path_style=0", check: isS3("dumps", "k")},

		{url: "", wantErr: "URL is empty"},
		{url: "/var/lib/dumps", wantErr: "no scheme"},
		{url: "ftp://host/dumps", wantErr: `unknown scheme "ftp"`},
		{url: "file:relative/path", wantErr: "absolute path"},
		{url: "file://otherhost/dumps", wantErr: `host "otherhost"`},
		{url: "file:///dumps?mode=0700", wantErr: "no query"},
		{url: "file://", wantErr: "not absolute"},
		{url: "s3://", wantErr: "missing bucket"},
		{url: "s3:///prefix", wantErr: "missing bucket"},
		{url: "s3://bucket:9000/p", wantErr: "has a port"},
		{url: "s3://key:secret@bucket/p", wantErr: "credentials do not belong in the URL"},
		{url: "s3://bucket?regoin=x", wantErr: `unknown parameter "regoin"`},
		{url: "s3://bucket?region=a&region=b", wantErr: `"region" given 2 times`},
		{url: "s3://bucket?path_style=yes", wantErr: `path_style "yes"`},
		{url: "s3://bucket?sse=rot13", wantErr: `sse "rot13"`},
		{url: "s3://bucket?endpoint=127.0.0.1:7070", wantErr: "endpoint"},
		{url: "s3://bucket/a/../b", wantErr: "prefix"},
		{url: "s3://bucket?%zz", wantErr: "query"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			s, err := storage.Open(t.Context(), tt.url)
			if tt.check == nil {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Open(%q): got %v, want an error containing %q", tt.url, err, tt.wantErr)
				}
				if s != nil {
					t.Errorf("Open(%q) returned %#v with the error, want nil", tt.url, s)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open(%q): %v", tt.url, err)
			}
			tt.check(t, s)
		})
	}
}

func isFile(t *testing.T, s storage.Storage) {
	t.Helper()
	if _, ok := s.(*file.Store); !ok {
		t.Errorf("got %T, want *file.Store", s)
	}
}

// isS3 checks that s is an S3 store for bucket that stores key "k" at objectKey.
func isS3(bucket, objectKey string) func(*testing.T, storage.Storage) {
	return func(t *testing.T, s storage.Storage) {
		t.Helper()
		ss, ok := s.(*s3.Store)
		if !ok {
			t.Fatalf("got %T, want *s3.Store", s)
		}
		if got := ss.Bucket(); got != bucket {
			t.Errorf("Bucket() = %q, want %q", got, bucket)
		}
		if got := ss.ObjectKey("k"); got != objectKey {
			t.Errorf("ObjectKey(%q) = %q, want %q", "k", got, objectKey)
		}
	}
}

// TestOpenS3Server opens a real server from a URL, with the credentials in
// the standard AWS variables, as in production.
func TestOpenS3Server(t *testing.T) {
	srv := s3test.Start(t)
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	url := "s3://" + srv.Bucket + "/staging?endpoint=" + srv.Endpoint + "&region=" + srv.Region + "&path_style=true"

	s, err := storage.Open(t.Context(), url)
	if err != nil {
		t.Fatalf("Open(%q): %v", url, err)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if _, err := s.Put(t.Context(), "hello.txt", strings.NewReader("hello")); err != nil {
		t.Fatalf("Put: %v", err)
	}
	obj, err := s.Stat(t.Context(), "hello.txt")
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if obj.Size != 5 {
		t.Errorf("Stat(%q).Size = %d, want 5", "hello.txt", obj.Size)
	}
}

func TestOpenRelativeFileURL(t *testing.T) {
	t.Chdir(t.TempDir())
	st, err := storage.Open(context.Background(), "file://./data/storage")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if _, err := st.Put(context.Background(), "a/b", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join("data", "storage", "a", "b")); err != nil {
		t.Errorf("object not under ./data/storage: %v", err)
	}
}
