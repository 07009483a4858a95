package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wippidu/wippidu/config"
)

// formsKey is the annotation that holds a command's other usage forms.
const formsKey = "wippidu.forms"

// MoreForms adds usage forms to cmd besides its Use, one a line, each written as
// Use is ("import --list-source"): the help and the README show them all.
func MoreForms(cmd *cobra.Command, forms ...string) {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[formsKey] = strings.Join(forms, "\n")
}

// forms are the ways to call cmd, each with the command path in front.
func forms(cmd *cobra.Command) []string {
	cmd.DisableFlagsInUseLine = true // each Use lists its flags
	out := []string{cmd.UseLine()}
	if more := cmd.Annotations[formsKey]; more != "" {
		parent := ""
		if cmd.HasParent() {
			parent = cmd.Parent().CommandPath() + " "
		}
		for _, f := range strings.Split(more, "\n") {
			out = append(out, parent+f)
		}
	}
	return out
}

// usage prints a command's usage: every form, the examples, the commands under it,
// its flags and the help topics. Every command of a program uses it.
func usage(cmd *cobra.Command) error {
	w := cmd.OutOrStderr()
	fmt.Fprint(w, "Usage:\n")
	if cmd.Runnable() && !isGroup(cmd) {
		for _, f := range forms(cmd) {
			fmt.Fprintf(w, "  %s\n", f)
		}
	}
	if cmd.HasAvailableSubCommands() {
		fmt.Fprintf(w, "  %s COMMAND\n", cmd.CommandPath())
	}
	if cmd.HasExample() {
		fmt.Fprintf(w, "\nExamples:\n%s\n", strings.TrimRight(cmd.Example, "\n"))
	}
	printCommands(w, cmd)
	if cmd.HasAvailableLocalFlags() {
		fmt.Fprintf(w, "\nFlags:\n%s\n", strings.TrimRight(cmd.LocalFlags().FlagUsages(), "\n"))
	}
	if cmd.HasHelpSubCommands() {
		fmt.Fprint(w, "\nHelp topics:\n")
		for _, c := range cmd.Commands() {
			if c.IsAdditionalHelpTopicCommand() {
				fmt.Fprintf(w, "  %-*s %s\n", cmd.CommandPathPadding()+6, "help "+c.Name(), c.Short)
			}
		}
	}
	if cmd.HasAvailableSubCommands() {
		fmt.Fprintf(w, "\nRun '%s COMMAND --help' for a command's flags and examples.\n", cmd.CommandPath())
	}
	return nil
}

func printCommands(w io.Writer, cmd *cobra.Command) {
	if !cmd.HasAvailableSubCommands() {
		return
	}
	fmt.Fprint(w, "\nCommands:\n")
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() || c.Name() == "help" {
			fmt.Fprintf(w, "  %-*s %s\n", cmd.NamePadding(), c.Name(), c.Short)
		}
	}
}

// isGroup reports whether cmd only holds other commands.
func isGroup(cmd *cobra.Command) bool {
	return cmd.HasAvailableSubCommands() && cmd.Annotations[groupKey] != ""
}

// groupKey marks a command whose RunE prepare made: it only holds others.
const groupKey = "wippidu.group"

// Environment is the help topic `PROGRAM help environment`: the settings the
// program reads from its environment, with their defaults, as config.Vars
// documents them (all of them when names is empty).
func Environment(names ...string) *cobra.Command {
	var b strings.Builder
	b.WriteString("Every setting comes from the environment; nothing is read from a file.\n")
	for _, v := range config.Vars {
		if len(names) > 0 && !contains(names, v.Name) {
			continue
		}
		fmt.Fprintf(&b, "\n%s (default: %s; set on: %s)\n", v.Name, v.Default, v.Instance)
		for _, line := range wrap(v.Doc, 76) {
			fmt.Fprintf(&b, "    %s\n", line)
		}
	}
	return &cobra.Command{Use: "environment", Short: "The settings, read from the environment, and their defaults", Long: b.String()}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// wrap breaks text into lines of at most width characters, at spaces.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		if line != "" && len([]rune(line))+1+len([]rune(word)) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
