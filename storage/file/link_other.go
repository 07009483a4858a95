//go:build !linux

package file

import (
	"errors"
	"os"
)

// errUnlinkable is wrapped by every error of a link that cannot be made, where
// a copy can be.
var errUnlinkable = errors.ErrUnsupported

// linkOpen links nothing here: the caller copies.
func linkOpen(_, _ *os.File, _ string) error { return errUnlinkable }
