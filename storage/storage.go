// Package storage is where dumps live: uploaded dumps waiting to be imported and
// finished exports waiting to be downloaded.
//
// There are two backends behind one small interface: a local folder (file://, the
// embedded default) and S3-compatible object storage (s3://). Both stream: neither
// holds a whole object in memory, whatever its size.
package storage

import (
	"context"
	"io"
	"time"

	"github.com/wippidu/wippidu/storage/internal/object"
)

// Storage is the interface every backend implements.
//
// Keys are relative, slash-separated paths such as "imports/2026/11/abc.json.gz".
// Implementations reject keys that are empty, absolute, contain "..", backslashes,
// control characters or empty segments, with an error wrapping ErrInvalidKey;
// ValidateKey in storage/internal/object states the exact rules, which every
// backend applies. Methods are safe for concurrent use.
type Storage interface {
	// Put streams r into the object at key and returns the number of bytes stored.
	// The object becomes visible only once complete: if r fails or ctx is cancelled,
	// no object (and no partial upload) is left behind. An existing object is replaced.
	Put(ctx context.Context, key string, r io.Reader) (int64, error)

	// Open returns a streaming reader of the object. A missing object yields an
	// error for which errors.Is(err, os.ErrNotExist) is true.
	Open(ctx context.Context, key string) (io.ReadCloser, error)

	// Stat describes one object; missing objects as for Open.
	Stat(ctx context.Context, key string) (Object, error)

	// List returns every object whose key starts with prefix, sorted by key.
	// The prefix is empty or a valid key, optionally followed by "/"; its last
	// segment may be partial. No objects is an empty result, not an error.
	List(ctx context.Context, prefix string) ([]Object, error)

	// Delete removes the object. Deleting a missing object is not an error.
	Delete(ctx context.Context, key string) error

	// Ping reports whether the backend is reachable and usable (readiness).
	Ping(ctx context.Context) error
}

// Object describes a stored object: its Key, its Size in bytes and its ModTime.
//
// It is an alias of a type in an internal package so that the backends, which
// package storage imports to open them from a URL, can return it too.
type Object = object.Info

// ErrInvalidKey is wrapped by every error about a key or list prefix that breaks
// the rules in the Storage documentation.
var ErrInvalidKey = object.ErrInvalidKey

// Sweeper is implemented by backends that can find what interrupted uploads left
// behind (a process killed mid-Put cannot clean up after itself): temp files of the
// file backend, incomplete multipart uploads on S3. Housekeeping calls it.
type Sweeper interface {
	// SweepIncomplete removes leftovers of uploads started before olderThan and
	// returns how many it removed.
	SweepIncomplete(ctx context.Context, olderThan time.Time) (int, error)
}

// Linker is implemented by backends that can make a file on the local disk and
// an object one and the same bytes instead of copying them: the file backend, when
// the file is on the folder's filesystem. The command line links a dump in for a
// worker to import, and an export out to where it saves it. Either method fails
// with an error wrapping errors.ErrUnsupported where it cannot link, having left
// nothing behind; the caller then copies.
type Linker interface {
	// LinkIn makes the file at path the object at key, appearing whole as with Put,
	// and returns its size.
	LinkIn(ctx context.Context, key, path string) (int64, error)
	// LinkOut makes path (replaced whole, or left as it was) a name of the object
	// at key, and returns its size.
	LinkOut(ctx context.Context, key, path string) (int64, error)
}
