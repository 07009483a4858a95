package testbin

import (
	"os"
	"sync"
	"testing"
)

// TestSharedDirectoryLinksOnce builds one command from two test processes' worth
// of callers at once into a shared directory: both get it, and the second finds
// it up to date (the file is the same one, not written anew). Without the
// directory, a build goes into a temporary one that cleanup removes.
func TestSharedDirectoryLinksOnce(t *testing.T) {
	shared := t.TempDir()
	t.Setenv(Env, shared)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() { _, _, errs[i] = Build("./tools/pgcluster") })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	bin := Path(shared, "./tools/pgcluster")
	first, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	dir, cleanup, err := Build("./tools/pgcluster")
	if err != nil {
		t.Fatal(err)
	}
	cleanup()
	again, err := os.Stat(bin)
	if err != nil {
		t.Fatalf("the shared binary is gone after cleanup: %v", err)
	}
	// go build touches a target that is up to date; one it links again is a
	// new file.
	if dir != shared || !os.SameFile(first, again) {
		t.Errorf("the third build wrote %s anew (or elsewhere: %s): it was up to date", bin, dir)
	}

	t.Setenv(Env, "")
	dir, cleanup, err = Build("./tools/pgcluster")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(Path(dir, "pgcluster")); err != nil || dir == shared {
		t.Fatalf("build without %s: %s, %v", Env, dir, err)
	}
	cleanup()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("cleanup left %s: %v", dir, err)
	}
}
