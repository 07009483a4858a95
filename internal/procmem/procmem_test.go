package procmem_test

import (
	"bytes"
	"os"
	"os/exec"
	"testing"

	"github.com/wippidu/wippidu/internal/procmem"
)

// TestRunMeasuresTheCommandNotItsStarter: a child that holds 64 MiB is measured
// at 64 MiB or more, and a small child far below this test binary's own size
// (which wait4's Maxrss would report for it).
func TestRunMeasuresTheCommandNotItsStarter(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is needed for a child of known size")
	}
	// This process's own resident set, written by copies (one range each under
	// the race detector, where a loop over every byte takes seconds).
	ballast := bytes.Repeat([]byte{1}, 256<<20)
	own, err := procmem.Peak(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	small, err := procmem.Run(exec.Command("python3", "-c", "pass"))
	if err != nil {
		t.Fatal(err)
	}
	big, err := procmem.Run(exec.Command("python3", "-c", "import time; b = bytearray(64 << 20); time.sleep(0.2)"))
	if err != nil {
		t.Fatal(err)
	}
	if small >= own/2 {
		t.Errorf("a small child measured %d MB, this process holds %d MB: the starter's size leaks in", small>>20, own>>20)
	}
	if big < 64<<20 || big <= small {
		t.Errorf("a child holding 64 MiB measured %d MB (the small one %d MB)", big>>20, small>>20)
	}
	_ = ballast[len(ballast)-1]
}
