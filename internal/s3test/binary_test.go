package s3test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wippidu/wippidu/internal/repo"
)

func TestFindBinary(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "go.mod"), "module example.com/m\n", 0o644)
	sub := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(sub)
	t.Setenv("VERSITYGW", "")
	t.Setenv("PATH", t.TempDir())

	_, err := findBinary()
	if !errors.Is(err, errNotFound) {
		t.Fatalf("with no versitygw anywhere: got %v, want errNotFound", err)
	}

	inBin := filepath.Join(root, ".bin", "versitygw")
	writeFile(t, inBin, "#!/bin/sh\n", 0o755)
	if got, err := findBinary(); err != nil || got != inBin {
		t.Fatalf("with %s: got %q, %v", inBin, got, err)
	}

	pathDir := t.TempDir()
	onPath := filepath.Join(pathDir, "versitygw")
	writeFile(t, onPath, "#!/bin/sh\n", 0o755)
	t.Setenv("PATH", pathDir)
	if got, err := findBinary(); err != nil || got != onPath {
		t.Fatalf("with %s on PATH: got %q, %v, want it before .bin", onPath, got, err)
	}

	t.Setenv("VERSITYGW", inBin)
	if got, err := findBinary(); err != nil || got != inBin {
		t.Fatalf("with VERSITYGW=%s: got %q, %v, want it before PATH", inBin, got, err)
	}

	t.Setenv("VERSITYGW", filepath.Join(root, "missing"))
	if _, err := findBinary(); err == nil || errors.Is(err, errNotFound) {
		t.Fatalf("with VERSITYGW naming a missing file: got %v, want an error other than errNotFound", err)
	}
}

// TestMakefileVersion keeps Version and the release "make tools" installs alike.
func TestMakefileVersion(t *testing.T) {
	t.Parallel()
	root, ok := repo.Root()
	if !ok {
		t.Fatal("no module root")
	}
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "github.com/versity/versitygw/cmd/versitygw@" + Version; !strings.Contains(string(makefile), want) {
		t.Errorf("the Makefile does not install %s", want)
	}
}

func writeFile(t *testing.T, path, content string, perm os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
}
