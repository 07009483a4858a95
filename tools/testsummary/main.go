// Command testsummary runs `go test -json …` and tells a person what happened: a
// line per package as it finishes, the output of every failed test, and at the
// end one summary: packages, tests passed, failed and skipped, each skipped test
// with its reason, and how long it all took. `make test` runs it.
//
//	testsummary go test -json -race ./...
//
// Several commands, separated by "---", run at the same time and are summed up
// as one run; the packages of a command without -race are named so:
//
//	testsummary go test -json -race -skip 'TestBig$' ./... --- go test -json -run 'TestBig$' ./...
//
// It exits 1 when a test or a build failed or a command failed, 2 on a usage
// error.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"
)

func main() {
	cmds := commands(os.Args[1:])
	if len(cmds) == 0 {
		fmt.Fprintln(os.Stderr, "usage: testsummary go test -json [flags] [packages] [--- go test -json …]")
		os.Exit(2)
	}
	start := time.Now()
	r := newRun(os.Stdout)
	var mu sync.Mutex // r takes the events of every command in turn
	errs := make([]error, len(cmds))
	var wg sync.WaitGroup
	for i, args := range cmds {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			fail(err)
		}
		if err := cmd.Start(); err != nil {
			fail(err)
		}
		label := ""
		if len(cmds) > 1 && !slices.Contains(args, "-race") {
			label = "without -race"
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.readLocked(out, label, &mu); err != nil {
				fail(err)
			}
			if err := cmd.Wait(); err != nil {
				errs[i] = fmt.Errorf("%s: %w", strings.Join(args, " "), err)
			}
		}()
	}
	wg.Wait()
	r.summary(time.Since(start))
	failed := false
	for _, err := range errs {
		if err != nil {
			failed = true
			if !r.failed() {
				fmt.Fprintln(os.Stderr, "testsummary:", err)
			}
		}
	}
	if failed || r.failed() {
		os.Exit(1)
	}
}

// commands splits the arguments into commands at each "---".
func commands(args []string) [][]string {
	var out [][]string
	for len(args) > 0 {
		i := slices.Index(args, "---")
		if i < 0 {
			i = len(args)
		}
		if i > 0 {
			out = append(out, args[:i])
		}
		args = args[min(i+1, len(args)):]
	}
	return out
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
func (r *run) read(in io.Reader) error { return r.readLocked(in, "", &sync.Mutex{}) }

// readLocked reads one of several streams read at once: each event is added
// under mu, and the packages of a stream with a label are named with it.
func (r *run) readLocked(in io.Reader, label string, mu *sync.Mutex) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		err := json.Unmarshal(sc.Bytes(), &e)
		mu.Lock()
		if err != nil || e.Action == "" {
			fmt.Fprintln(r.w, sc.Text())
		} else {
			if label != "" && e.Package != "" {
				e.Package += " (" + label + ")"
			}
			r.add(e)
		}
		mu.Unlock()
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
