package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wippidu/wippidu/internal/repo"
)

// TestVolumeTestsLiveInVolumePackages: make test's race pass skips VOLUME_TESTS
// everywhere, and only VOLUME_PKGS run them without -race, so a name added to the
// one without its package in the other would never run at all.
func TestVolumeTestsLiveInVolumePackages(t *testing.T) {
	t.Parallel()
	root, ok := repo.Root()
	if !ok {
		t.Fatal("no go.mod at or above the working directory")
	}
	b, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	tests := regexp.MustCompile(`(?m)^VOLUME_TESTS \?= \^\(([^)]*)\)\$\$$`).FindSubmatch(b)
	pkgs := regexp.MustCompile(`(?m)^VOLUME_PKGS +\?= (.*)$`).FindSubmatch(b)
	if tests == nil || pkgs == nil {
		t.Fatal("the Makefile has no VOLUME_TESTS ?= ^(…)$$ or no VOLUME_PKGS ?= line")
	}
	for _, name := range strings.Split(string(tests[1]), "|") {
		found := false
		for _, pkg := range strings.Fields(string(pkgs[1])) {
			files, _ := filepath.Glob(filepath.Join(root, pkg, "*_test.go"))
			for _, f := range files {
				src, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				found = found || strings.Contains(string(src), "\nfunc "+name+"(t *testing.T)")
			}
		}
		if !found {
			t.Errorf("VOLUME_TESTS names %s, which is in none of VOLUME_PKGS (%s): it would never run", name, pkgs[1])
		}
	}
}
