package s3test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wippidu/wippidu/internal/repo"
)

// Version is the versitygw release the Makefile installs ("make tools") and the
// tests are written against.
const Version = "v1.8.0"

// errNotFound is wrapped by findBinary's error when no versitygw is anywhere it
// looks, as opposed to $VERSITYGW naming a file that is not there.
var errNotFound = errors.New("versitygw not found")

// howToGet tells how to provide versitygw.
const howToGet = `run "make tools" to install versitygw ` + Version + ` into .bin, or set VERSITYGW to its path`

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
)

// Binary returns the path of the versitygw executable (see the package
// documentation for where it looks). When there is none it skips tb, or fails
// it if $CI is "true": CI must run the S3 tests, never skip them.
func Binary(tb testing.TB) string {
	tb.Helper()
	binaryOnce.Do(func() { binaryPath, binaryErr = findBinary() })
	switch {
	case binaryErr == nil:
		return binaryPath
	case !errors.Is(binaryErr, errNotFound):
		tb.Fatalf("versitygw: %v", binaryErr)
	case os.Getenv("CI") == "true":
		tb.Fatalf("%v, and CI=true requires the S3 tests: %s", binaryErr, howToGet)
	default:
		tb.Skipf("%v: skipping the S3 tests; %s", binaryErr, howToGet)
	}
	return ""
}

// findBinary looks in $VERSITYGW, then on $PATH, then in the .bin folder of the
// module root, where "make tools" installs it.
func findBinary() (string, error) {
	if path := os.Getenv("VERSITYGW"); path != "" {
		if _, err := os.Stat(path); err != nil {
			return "", fmt.Errorf("$VERSITYGW: %w", err)
		}
		return path, nil
	}
	if path, err := exec.LookPath("versitygw"); err == nil {
		return path, nil
	}
	looked := []string{"$VERSITYGW is unset", "no versitygw on $PATH"}
	if root, ok := repo.Root(); ok {
		path := filepath.Join(root, ".bin", "versitygw")
		if isExecutable(path) {
			return path, nil
		}
		looked = append(looked, "no "+path)
	} else {
		looked = append(looked, "no go.mod at or above the working directory")
	}
	return "", fmt.Errorf("%w (%s)", errNotFound, strings.Join(looked, ", "))
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}
