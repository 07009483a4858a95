package s3test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Version is the versitygw release installed when no binary is found.
const Version = "v1.8.0"

// Package is what "go install" builds.
const Package = "github.com/versity/versitygw/cmd/versitygw"

// installTimeout bounds "go install", which compiles versitygw from source.
const installTimeout = 15 * time.Minute

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
)

// Binary returns the path of the versitygw executable, installing it first if
// needed (see the package documentation). Installing takes a few minutes once.
func Binary(tb testing.TB) string {
	tb.Helper()
	binaryOnce.Do(func() { binaryPath, binaryErr = findBinary(tb) })
	if binaryErr != nil {
		tb.Fatalf("versitygw: %v", binaryErr)
	}
	return binaryPath
}

func findBinary(tb testing.TB) (string, error) {
	if path := os.Getenv("VERSITYGW"); path != "" {
		if _, err := os.Stat(path); err != nil {
			return "", fmt.Errorf("$VERSITYGW: %w", err)
		}
		return path, nil
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	binDir := filepath.Join(root, ".bin")
	path := filepath.Join(binDir, "versitygw")
	if isExecutable(path) {
		return path, nil
	}
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return "", err
	}
	unlock, err := lockFile(filepath.Join(binDir, "versitygw.lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if isExecutable(path) { // installed by another test binary while we waited
		return path, nil
	}
	tb.Logf("installing %s@%s into %s (only once; set $VERSITYGW to use another binary)", Package, Version, binDir)
	ctx, cancel := context.WithTimeout(context.Background(), installTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "install", Package+"@"+Version)
	cmd.Dir = root
	// GOFLAGS of the project (say -mod=vendor) do not apply to pkg@version.
	cmd.Env = append(os.Environ(), "GOBIN="+binDir, "GOFLAGS=", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install %s@%s: %w\n%s", Package, Version, err, out)
	}
	if !isExecutable(path) {
		return "", fmt.Errorf("go install %s@%s did not create %s", Package, Version, path)
	}
	return path, nil
}

// moduleRoot returns the nearest directory at or above the working directory
// that holds a go.mod file.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod at or above the working directory; set $VERSITYGW")
		}
		dir = parent
	}
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}
