// Package testbin builds the commands that tests run as processes, without the
// race detector, as they ship.
//
// With WIPPIDU_TEST_BIN set to a directory (make test sets it), every test process
// of a run builds into that one directory, one at a time under a lock: the first
// links a command, and the others find it up to date (go build compares its build
// ID with the sources and does not link it again). Without it, each test process
// builds into a temporary directory of its own.
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"syscall"

	"github.com/wippidu/wippidu/internal/repo"
)

// Env names the shared directory.
const Env = "WIPPIDU_TEST_BIN"

// Build builds the commands pkgs (paths from the module's root, such as
// "./cmd/worker") and returns the directory that holds them, each under the last
// element of its path, and a function that removes what Build made for this
// process alone.
func Build(pkgs ...string) (dir string, cleanup func(), err error) {
	root, ok := repo.Root()
	if !ok {
		return "", nil, fmt.Errorf("testbin: no go.mod at or above the working directory")
	}
	cleanup = func() {}
	if dir = os.Getenv(Env); dir == "" {
		if dir, err = os.MkdirTemp("", "wippidu-bin-"); err != nil {
			return "", nil, err
		}
		cleanup = func() { os.RemoveAll(dir) }
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, err
	}
	unlock, err := lock(filepath.Join(dir, ".lock"))
	if err != nil {
		cleanup()
		return "", nil, err
	}
	defer unlock()
	cmd := exec.Command("go", append([]string{"build", "-trimpath", "-o", dir + "/"}, pkgs...)...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("go build %v: %v\n%s", pkgs, err, out)
	}
	return dir, cleanup, nil
}

// Path is the file of the command pkg in dir.
func Path(dir, pkg string) string { return filepath.Join(dir, path.Base(pkg)) }

// lock takes an exclusive lock on file, waiting for it.
func lock(file string) (func(), error) {
	f, err := os.OpenFile(file, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("testbin: lock %s: %w", file, err)
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}
