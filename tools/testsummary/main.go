// Command testsummary runs `go test -json …` and tells a person what happened: a
// line per package as it finishes, the output of every failed test, and at the
// end one summary: packages, tests passed, failed and skipped, each skipped test
// with its reason, and how long it all took. `make test` runs it.
//
//	testsummary go test -json -race ./...
//
// It exits 1 when a test or a build failed or the command failed, 2 on a usage
// error.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: testsummary go test -json [flags] [packages]")
		os.Exit(2)
	}
	start := time.Now()
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		fail(err)
	}
	if err := cmd.Start(); err != nil {
		fail(err)
	}
	r := newRun(os.Stdout)
	if err := r.read(out); err != nil {
		fail(err)
	}
	runErr := cmd.Wait()
	r.summary(time.Since(start))
	if runErr != nil || r.failed() {
		if runErr != nil && !r.failed() {
			fmt.Fprintf(os.Stderr, "testsummary: %s: %v\n", strings.Join(os.Args[1:], " "), runErr)
		}
		os.Exit(1)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "testsummary:", err)
	os.Exit(1)
}

// event is one line of `go test -json` (cmd/test2json), and of the build's
// output, which go test reports in the same stream.
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	Elapsed    float64
	ImportPath string // build-output and build-fail
}

// test is what a run knows of one test.
type test struct {
	pkg, name string
	output    []string
	result    string // pass, fail or skip
	elapsed   float64
}

// pkg is what a run knows of one package.
type pkg struct {
	name    string
	output  []string // not of any one test: build errors, panics, TestMain's
	result  string
	elapsed float64
	tests   int
	skipped int
}

// run tallies one `go test -json` stream.
type run struct {
	w      io.Writer
	tests  map[string]*test
	order  []*test
	pkgs   map[string]*pkg
	done   []*pkg
	builds map[string][]string // build output by import path
	broken []string            // import paths that did not build
}

func newRun(w io.Writer) *run {
	return &run{w: w, tests: map[string]*test{}, pkgs: map[string]*pkg{}, builds: map[string][]string{}}
}

// read consumes the stream, printing each package's line as it ends. A line that
// is no JSON event is passed through as it is.
func (r *run) read(in io.Reader) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Action == "" {
			fmt.Fprintln(r.w, sc.Text())
			continue
		}
		r.add(e)
	}
	return sc.Err()
}

func (r *run) add(e event) {
	switch e.Action {
	case "build-output":
		r.builds[e.ImportPath] = append(r.builds[e.ImportPath], e.Output)
		return
	case "build-fail":
		r.broken = append(r.broken, e.ImportPath)
		fmt.Fprintf(r.w, "BUILD FAILED %s\n%s", e.ImportPath, strings.Join(r.builds[e.ImportPath], ""))
		return
	}
	p := r.pkgs[e.Package]
	if p == nil {
		p = &pkg{name: e.Package}
		r.pkgs[e.Package] = p
	}
	if e.Test == "" {
		r.addPackage(p, e)
		return
	}
	key := e.Package + " " + e.Test
	t := r.tests[key]
	if t == nil {
		t = &test{pkg: e.Package, name: e.Test}
		r.tests[key] = t
		r.order = append(r.order, t)
	}
	switch e.Action {
	case "output":
		t.output = append(t.output, e.Output)
	case "pass", "fail", "skip":
		t.result, t.elapsed = e.Action, e.Elapsed
		if !strings.Contains(t.name, "/") {
			p.tests++
		}
		if e.Action == "skip" {
			p.skipped++
		}
		if e.Action == "fail" {
			fmt.Fprintf(r.w, "--- FAIL: %s (%s)\n%s", t.name, short(t.pkg), strings.Join(t.output, ""))
		}
	}
}

func (r *run) addPackage(p *pkg, e event) {
	switch e.Action {
	case "output":
		p.output = append(p.output, e.Output)
	case "pass", "fail", "skip":
		p.result, p.elapsed = e.Action, e.Elapsed
		r.done = append(r.done, p)
		switch {
		case e.Action == "fail":
			fmt.Fprintf(r.w, "FAIL  %s  %.1fs\n%s", short(p.name), p.elapsed, packageOutput(p))
		case e.Action == "skip" && p.tests == 0:
			fmt.Fprintf(r.w, "-     %s  (no tests)\n", short(p.name))
		default:
			fmt.Fprintf(r.w, "ok    %s  %.1fs  %d tests%s\n", short(p.name), p.elapsed, p.tests, skippedNote(p.skipped))
		}
	}
}

// packageOutput is what a failed package printed outside its tests: a panic, a
// build error, TestMain's complaint.
func packageOutput(p *pkg) string {
	var b strings.Builder
	for _, line := range p.output {
		if strings.HasPrefix(line, "FAIL") || strings.HasPrefix(line, "ok ") {
			continue
		}
		b.WriteString(line)
	}
	return b.String()
}

func skippedNote(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", %d skipped", n)
}

// short drops the module path from a package name.
func short(name string) string {
	if s := strings.TrimPrefix(name, "github.com/wippidu/wippidu/"); s != name {
		return s
	}
	if name == "github.com/wippidu/wippidu" {
		return "."
	}
	return name
}

func (r *run) failed() bool {
	if len(r.broken) > 0 {
		return true
	}
	for _, p := range r.done {
		if p.result == "fail" {
			return true
		}
	}
	return false
}
