// Command worker runs wippidu's export and import jobs and the ops commands around
// them. Run `worker help` for the commands.
package main

import (
	"os"
	"runtime/debug"

	"github.com/wippidu/wippidu/cli"
	"github.com/wippidu/wippidu/ops"
)

// memoryLimit is the worker's soft memory limit when GOMEMLIMIT is not set: the
// garbage collector works harder near it, so one multi-megabyte row after another
// does not let the heap double before it is collected. An import's lasting heap is
// its people dictionary (about 70 bytes a person) and the leak check's (8 bytes a
// body): about 30 MB at 100,000 users, which leaves the collector room below it
// (the whole process then peaks near 90 MB).
const memoryLimit = 64 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	cli.Main(ops.NewRoot)
}
