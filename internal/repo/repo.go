// Package repo finds the checkout that a test runs in.
package repo

import (
	"os"
	"path/filepath"
)

// Root returns the nearest directory at or above the working directory (go test
// sets it to the package's own) that holds a go.mod file. Test binaries may be
// built with -trimpath, so their source file names do not say where it is.
func Root() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}
