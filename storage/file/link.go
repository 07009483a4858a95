package file

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
)

// A dump the command line hands to a worker, or an export it saves, need not be
// copied when the file and the store's folder are on one filesystem: a second
// name for the same bytes (a hard link) is made instead. Both directions link the
// file that is open, whatever its path names by then, and fail with an error
// wrapping errors.ErrUnsupported where no link can be made (another filesystem, a
// system without hard links), leaving nothing behind: the caller then copies.

// LinkIn makes the file at path, outside the store, the object at key without
// copying it. The object appears whole, as with Put. It shares the file's bytes
// and permissions: the file changed in place changes the object, and removing
// either name leaves the other.
func (s *Store) LinkIn(ctx context.Context, key, path string) (int64, error) {
	if err := validateKey(key); err != nil {
		return 0, fmt.Errorf("link in: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("link in %q: %w", key, err)
	}
	n, err := s.linkIn(key, path)
	if err != nil {
		return 0, fmt.Errorf("link in %q: %w", key, err)
	}
	return n, nil
}

func (s *Store) linkIn(key, path string) (int64, error) {
	src, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return 0, err
	}
	if !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("%s is not a regular file: %w", path, errUnlinkable)
	}
	dir := filepath.Dir(rel(key))
	if err := s.dir.MkdirAll(dir, dirPerm); err != nil {
		return 0, err
	}
	d, err := s.dir.Open(dir)
	if err != nil {
		return 0, err
	}
	defer d.Close()
	tmp := tempPrefix + rand.Text()
	if err := linkOpen(src, d, tmp); err != nil {
		return 0, err
	}
	if err := s.dir.Rename(filepath.Join(dir, tmp), rel(key)); err != nil {
		s.dir.Remove(filepath.Join(dir, tmp))
		return 0, err
	}
	_ = d.Sync()
	return fi.Size(), nil
}

// LinkOut gives the object at key a second name, path, outside the store,
// without copying it: made as path.part and renamed over path, so that path is
// either the whole object or what it was before. Removing the object later
// leaves path.
func (s *Store) LinkOut(ctx context.Context, key, path string) (int64, error) {
	rc, err := s.Open(ctx, key)
	if err != nil {
		return 0, fmt.Errorf("link out: %w", err)
	}
	src := rc.(*os.File)
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return 0, fmt.Errorf("link out %q: %w", key, err)
	}
	tmp := path + ".part"
	_ = os.Remove(tmp) // left by an earlier run that was killed
	if err := linkOpen(src, nil, tmp); err != nil {
		return 0, fmt.Errorf("link out %q: %w", key, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("link out %q: %w", key, err)
	}
	return fi.Size(), nil
}
