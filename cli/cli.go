// Package cli is how wippidu's three programs (worker, web and demodata) read their
// command line. It builds on cobra, as River's own command line, kubectl and gh do,
// and adds what every program here promises:
//
//   - --help, -h and help print a command's help, with its flags and examples, on
//     every command and subcommand, without any setting or database, and never act:
//     a command reads its settings and opens the database only in its RunE, which
//     cobra never reaches for help;
//   - a command line that cannot be run exits ExitUsage (2) with what was wrong and
//     how to see the help; a command that fails exits ExitFailure (1) with the
//     reason on stderr; success exits ExitOK (0);
//   - shells complete commands, flags and their values (`worker completion bash`);
//   - the README's command block is rendered from the same commands (Synopsis).
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes, the same for every program.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// Env is what a program runs with: its arguments (without the program's name), its
// output streams and its settings.
type Env struct {
	Args   []string
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

// UsageError is a command line that cannot be run as given: an unknown command or
// flag, a missing or malformed argument. The program exits ExitUsage.
type UsageError struct {
	err error
	// usage asks for the command's usage to follow the message: a group of
	// commands called without one says which there are.
	usage bool
}

func (e *UsageError) Error() string { return e.err.Error() }

func (e *UsageError) Unwrap() error { return e.err }

// Usagef returns a UsageError with a formatted message.
func Usagef(format string, args ...any) error {
	return &UsageError{err: fmt.Errorf(format, args...)}
}

// Execute runs root with env and returns the program's exit code. Errors that
// cobra returns before a command runs (an unknown command or flag, a wrong number
// of arguments) are usage errors, as are the UsageErrors a command returns; every
// other error is a failure.
func Execute(ctx context.Context, root *cobra.Command, env Env) int {
	started := false
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	// The commands cobra adds itself, made now so that prepare sees them too.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd(env.Args...)
	prepare(root, &started)
	root.SilenceErrors, root.SilenceUsage = true, true
	root.SetUsageFunc(usage)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &UsageError{err: err} })
	// Never nil: cobra would read the process's own arguments instead.
	root.SetArgs(append([]string{}, env.Args...))
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	var ue *UsageError
	if errors.As(err, &ue) || !started {
		if cmd == nil {
			cmd = root
		}
		fmt.Fprintf(env.Stderr, "%s: %v\n", root.Name(), err)
		if ue != nil && ue.usage {
			fmt.Fprintf(env.Stderr, "\n%s", cmd.UsageString())
		} else {
			fmt.Fprintf(env.Stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
		return ExitUsage
	}
	fmt.Fprintf(env.Stderr, "%s: %v\n", root.Name(), err)
	return ExitFailure
}

// prepare readies every command of the tree for Execute: usage lines as written
// (each Use lists its flags), a group of commands answers a missing or unknown
// command with a usage error, and every command notes in started that it ran,
// which tells its errors from cobra's own.
func prepare(c *cobra.Command, started *bool) {
	c.DisableFlagsInUseLine = true
	if c.HasSubCommands() && c.RunE == nil && c.Run == nil {
		c.RunE = group
		c.Args = cobra.ArbitraryArgs
		if c.Annotations == nil {
			c.Annotations = map[string]string{}
		}
		c.Annotations[groupKey] = "true"
	}
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			*started = true
			return run(cmd, args)
		}
	}
	for _, sub := range c.Commands() {
		prepare(sub, started)
	}
}

// group runs a command that only holds others: `worker jobs help` is its help,
// anything else names the commands there are.
func group(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		what := "name a command"
		if cmd.HasParent() {
			what = cmd.Name() + " needs a command"
		}
		return &UsageError{err: fmt.Errorf("%s: %s", what, strings.Join(names(cmd), ", ")), usage: true}
	}
	if args[0] == "help" {
		return cmd.Help()
	}
	return Usagef("unknown command %q for %q; the commands are %s", args[0], cmd.CommandPath(), strings.Join(names(cmd), ", "))
}

// names lists the commands a group offers.
func names(cmd *cobra.Command) []string {
	var out []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			out = append(out, c.Name())
		}
	}
	return out
}

func init() {
	// Commands are listed in the order they are added, which is the order of a
	// refresh (migrate, run, export, import, jobs), not alphabetically.
	cobra.EnableCommandSorting = false
}

// Main is a program's main: it runs the command tree newRoot makes with the
// process's arguments, streams and environment, until the command returns or
// SIGTERM or Ctrl-C cancels its context, and exits with the command's code.
func Main(newRoot func(Env) *cobra.Command) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	env := Env{Args: os.Args[1:], Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	code := Execute(ctx, newRoot(env), env)
	stop()
	os.Exit(code)
}
