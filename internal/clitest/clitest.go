// Package clitest checks what every wippidu program promises of its command line
// (package cli): help that works anywhere and never acts, and a README command
// block that is the programs' own synopsis.
package clitest

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/wippidu/wippidu/cli"
	"github.com/wippidu/wippidu/internal/repo"
)

var update = flag.Bool("update", false, "rewrite the README's command blocks from the programs' help")

// Program makes a program's command tree for an environment, fresh for each run
// (cobra keeps parsed flags in the tree).
type Program func(cli.Env) *cobra.Command

// Run runs prog with args and the settings in vars, and returns its exit code,
// stdout and stderr.
func Run(ctx context.Context, prog Program, vars map[string]string, args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	env := cli.Env{Args: args, Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return vars[k] }}
	code := cli.Execute(ctx, prog(env), env)
	return code, stdout.String(), stderr.String()
}

// HelpArgs lists every way to ask for help of every command of prog: PATH
// --help, PATH -h and help PATH, and PATH help for a group of commands.
func HelpArgs(prog Program) [][]string {
	root := prog(cli.Env{})
	var out [][]string
	for _, path := range cli.Paths(root) {
		out = append(out, append(clone(path), "--help"), append(clone(path), "-h"), append([]string{"help"}, path...))
		if c, _, err := root.Find(path); err == nil && len(path) > 0 && c.HasAvailableSubCommands() {
			out = append(out, append(clone(path), "help"))
		}
	}
	return out
}

func clone(s []string) []string { return append([]string{}, s...) }

// CheckHelp asks for every command's help (HelpArgs) with the settings in vars and
// fails t unless each exits 0, prints help on stdout and nothing on stderr. The
// caller checks afterwards that nothing changed where vars point.
func CheckHelp(t *testing.T, prog Program, vars map[string]string) {
	t.Helper()
	for _, args := range HelpArgs(prog) {
		code, stdout, stderr := Run(context.Background(), prog, vars, args...)
		if code != cli.ExitOK || stderr != "" || (!strings.Contains(stdout, "Usage:") && !strings.Contains(stdout, "environment")) {
			t.Errorf("%q: got exit %d, stdout %q, stderr %q; want exit 0 and the help on stdout", args, code, short(stdout), stderr)
		}
	}
}

func short(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// CheckReadme fails t unless README.md's block for name (between the lines
// "<!-- generated from NAME's help" and "<!-- end of NAME's help -->") holds
// text in a code block; with -update it writes it there.
func CheckReadme(t *testing.T, name, text string) {
	t.Helper()
	root, ok := repo.Root()
	if !ok {
		t.Fatal("no go.mod at or above the working directory")
	}
	path := filepath.Join(root, "README.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	start, end := "<!-- generated from "+name+"'s help", "<!-- end of "+name+"'s help -->"
	i := strings.Index(readme, start)
	j := strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatalf("README.md has no block %q … %q", start, end)
	}
	i += strings.Index(readme[i:], "\n") + 1
	want := "```\n" + text + "```\n"
	if readme[i:j] == want {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(readme[:i]+want+readme[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's command block for %s is not the help's synopsis; run the test with -update. Got:\n%s\nwant:\n%s", name, readme[i:j], want)
}
