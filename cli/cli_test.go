package cli_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/wippidu/wippidu/cli"
)

// toy is a small program: a command that fails, one that takes one argument, and
// a group of two.
func toy(ran *[]string) func(cli.Env) *cobra.Command {
	return func(cli.Env) *cobra.Command {
		root := &cobra.Command{Use: "toy", Short: "A toy"}
		fail := &cobra.Command{Use: "fail", Short: "Fail", Args: cobra.NoArgs,
			RunE: func(*cobra.Command, []string) error { *ran = append(*ran, "fail"); return errors.New("it broke") }}
		echo := &cobra.Command{Use: "echo [--loud] WORD", Short: "Print WORD", Args: cobra.ExactArgs(1),
			RunE: func(c *cobra.Command, args []string) error {
				*ran = append(*ran, "echo")
				if args[0] == "bad" {
					return cli.Usagef("WORD may not be %q", args[0])
				}
				_, err := c.OutOrStdout().Write([]byte(args[0] + "\n"))
				return err
			}}
		echo.Flags().Bool("loud", false, "louder")
		cli.MoreForms(echo, "echo --list")
		group := &cobra.Command{Use: "group", Short: "Two more"}
		group.AddCommand(&cobra.Command{Use: "a", Short: "A", RunE: func(*cobra.Command, []string) error { *ran = append(*ran, "a"); return nil }},
			&cobra.Command{Use: "b", Short: "B", RunE: func(*cobra.Command, []string) error { *ran = append(*ran, "b"); return nil }})
		root.AddCommand(fail, echo, group, cli.Environment("LOG_LEVEL"))
		return root
	}
}

func TestExecuteExitCodes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args         []string
		code         int
		ran          string
		stdout, errs string
	}{
		{[]string{"echo", "hi"}, cli.ExitOK, "echo", "hi\n", ""},
		{[]string{"fail"}, cli.ExitFailure, "fail", "", "toy: it broke\n"},
		{[]string{"echo", "bad"}, cli.ExitUsage, "echo", "", "toy: WORD may not be \"bad\"\nRun 'toy echo --help' for usage.\n"},
		{[]string{"echo"}, cli.ExitUsage, "", "", "accepts 1 arg(s), received 0"},
		{[]string{"echo", "--quiet", "x"}, cli.ExitUsage, "", "", "unknown flag: --quiet"},
		{[]string{}, cli.ExitUsage, "", "", "toy: name a command: fail, echo, group"},
		{[]string{"nope"}, cli.ExitUsage, "", "", `unknown command "nope" for "toy"`},
		{[]string{"group"}, cli.ExitUsage, "", "", "toy: group needs a command: a, b\n\nUsage:\n  toy group COMMAND"},
		{[]string{"group", "c"}, cli.ExitUsage, "", "", `unknown command "c" for "toy group"; the commands are a, b`},
		{[]string{"group", "b"}, cli.ExitOK, "b", "", ""},
		{[]string{"group", "help"}, cli.ExitOK, "", "Usage:\n  toy group COMMAND", ""},
		{[]string{"help", "echo"}, cli.ExitOK, "", "Usage:\n  toy echo [--loud] WORD\n  toy echo --list\n", ""},
		{[]string{"echo", "--help"}, cli.ExitOK, "", "Flags:\n  -h, --help   help for echo\n      --loud   louder", ""},
		{[]string{"help", "environment"}, cli.ExitOK, "", "LOG_LEVEL (default: info; set on: both)", ""},
	} {
		var ran []string
		var stdout, stderr bytes.Buffer
		env := cli.Env{Args: tc.args, Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
		code := cli.Execute(context.Background(), toy(&ran)(env), env)
		if code != tc.code || strings.Join(ran, ",") != tc.ran || !strings.Contains(stdout.String(), tc.stdout) ||
			!strings.Contains(stderr.String(), tc.errs) || (tc.errs == "" && stderr.Len() > 0) {
			t.Errorf("toy %q: got exit %d, ran %v, stdout %q, stderr %q; want exit %d, ran %q, stdout with %q, stderr with %q",
				tc.args, code, ran, stdout.String(), stderr.String(), tc.code, tc.ran, tc.stdout, tc.errs)
		}
	}
}

func TestSynopsis(t *testing.T) {
	t.Parallel()
	var ran []string
	got := cli.Synopsis(toy(&ran)(cli.Env{}))
	want := `toy fail                            # fail
toy echo [--loud] WORD
toy echo --list
                                    # print WORD
toy group a                         # A
toy group b                         # B
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestCompleteList(t *testing.T) {
	t.Parallel()
	complete := cli.CompleteList("emails", "names", "contacts")
	for _, tc := range []struct {
		typed string
		want  []string
	}{
		{"", []string{"emails", "names", "contacts"}},
		{"n", []string{"names"}},
		{"emails,", []string{"emails,names", "emails,contacts"}},
		{"emails,names,c", []string{"emails,names,contacts"}},
		{"x", nil},
	} {
		got, directive := complete(nil, nil, tc.typed)
		if strings.Join(got, " ") != strings.Join(tc.want, " ") || directive&cobra.ShellCompDirectiveNoFileComp == 0 {
			t.Errorf("%q: got %v (%d), want %v", tc.typed, got, directive, tc.want)
		}
	}
}
