package file

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// errUnlinkable is wrapped by every error of a link that cannot be made, where
// a copy can be.
var errUnlinkable = errors.ErrUnsupported

// linkOpen makes name, in dir (the working directory when nil), a hard link of
// the open file src. The file is named by its descriptor, so that what is linked
// is what was opened and checked, even if its path was replaced since.
func linkOpen(src, dir *os.File, name string) error {
	dirfd := unix.AT_FDCWD
	if dir != nil {
		dirfd = int(dir.Fd())
	}
	fd := "/proc/self/fd/" + strconv.FormatUint(uint64(src.Fd()), 10)
	if err := unix.Linkat(unix.AT_FDCWD, fd, dirfd, name, unix.AT_SYMLINK_FOLLOW); err != nil {
		return fmt.Errorf("%w: link %s: %w", errUnlinkable, name, err)
	}
	return nil
}
