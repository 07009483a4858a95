package cli

import (
	"strings"
	"unicode"

	"github.com/spf13/cobra"
)

// synopsisColumn is where the README's command block starts its comments.
const synopsisColumn = 36

// Synopsis renders root's commands as the README's command block shows them:
// each runnable command's usage forms, then "# " and what it does, on the same
// line where the form leaves room. It reads the same commands as the help, so
// the block cannot drift from what the programs accept.
func Synopsis(root *cobra.Command) string {
	var b strings.Builder
	walk(root, func(c *cobra.Command) {
		fs := forms(c)
		comment := "# " + lowerFirst(strings.TrimSuffix(c.Short, "."))
		last := fs[len(fs)-1]
		for _, f := range fs[:len(fs)-1] {
			b.WriteString(f + "\n")
		}
		if len(fs) == 1 && len([]rune(last)) < synopsisColumn-1 {
			b.WriteString(last + strings.Repeat(" ", synopsisColumn-len([]rune(last))) + comment + "\n")
			return
		}
		b.WriteString(last + "\n" + strings.Repeat(" ", synopsisColumn) + comment + "\n")
	})
	return b.String()
}

// lowerFirst lower-cases the first letter of s: help lists say "Apply the
// migrations", a comment after a command "# apply the migrations".
func lowerFirst(s string) string {
	r := []rune(s)
	if len(r) > 1 && unicode.IsUpper(r[0]) && !unicode.IsUpper(r[1]) {
		r[0] = unicode.ToLower(r[0])
	}
	return string(r)
}

// walk calls fn for every command of root's tree that does a program's work, in
// the order of the help: groups, help topics, the help command and cobra's shell
// completion are left out.
func walk(c *cobra.Command, fn func(*cobra.Command)) {
	if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
		return
	}
	if c.Runnable() && c.Annotations[groupKey] == "" {
		fn(c)
	}
	for _, sub := range c.Commands() {
		walk(sub, fn)
	}
}

// Paths lists the arguments that name each command of root's tree, root's own
// (none) first, with the help and completion commands cobra adds: what a test
// runs with --help.
func Paths(root *cobra.Command) [][]string {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	var out [][]string
	var visit func(c *cobra.Command, path []string)
	visit = func(c *cobra.Command, path []string) {
		out = append(out, path)
		for _, sub := range c.Commands() {
			visit(sub, append(append([]string{}, path...), sub.Name()))
		}
	}
	visit(root, []string{})
	return out
}
