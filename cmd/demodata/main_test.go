package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/wippidu/wippidu/cli"
	"github.com/wippidu/wippidu/internal/clitest"
	"github.com/wippidu/wippidu/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// run runs the command as main does, and returns what it printed on stderr as
// the error when it fails.
func run(args []string, getenv func(string) string, stdout, stderr *bytes.Buffer) error {
	env := cli.Env{Args: args, Stdout: stdout, Stderr: stderr, Getenv: getenv}
	if code := cli.Execute(context.Background(), newRoot(env), env); code != cli.ExitOK {
		return errors.New(stderr.String())
	}
	return nil
}

func TestRun(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewDB(t)
	env := func(k string) string {
		if k == "DATABASE_URL" {
			return dbURL
		}
		return ""
	}
	var stdout, stderr bytes.Buffer
	if err := run([]string{"--users", "40", "--attachment-kb", "2", "--seed", "3"}, env, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	line := stdout.String()
	if !regexp.MustCompile(`^demodata: users=40 school_classes=\d+ students=\d+ guardianships=\d+ messages=400 parental_letters=\d+ letter_acknowledgements=\d+ attachments=\d+ rows=\d+; copied [\d.]+ [KMG]iB \(attachments [\d.]+ [KMG]iB\), database [\d.]+ [KMG]iB, [\d.]+ s\n$`).MatchString(line) {
		t.Errorf("summary: got %q", line)
	}
	if !strings.Contains(stderr.String(), `"msg":"table loaded"`) {
		t.Errorf("stderr has no JSON progress logs: %q", stderr.String())
	}

	// A second run is refused.
	err := run([]string{"--users", "40"}, env, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "already holds data") {
		t.Errorf("second run: got %v, want a refusal", err)
	}
}

// TestRunLogLevel: at LOG_LEVEL=warn a successful run logs nothing (make demo's
// output stays quiet); the summary still goes to stdout.
func TestRunLogLevel(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewDB(t)
	env := func(k string) string {
		return map[string]string{"DATABASE_URL": dbURL, "LOG_LEVEL": "warn"}[k]
	}
	var stdout, stderr bytes.Buffer
	if err := run([]string{"--users", "10", "--attachment-kb", "1"}, env, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr at LOG_LEVEL=warn: got %q, want nothing", stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "demodata: users=10 ") {
		t.Errorf("summary: got %q", stdout.String())
	}
}

func TestRunUsageErrors(t *testing.T) {
	t.Parallel()
	noEnv := func(string) string { return "" }
	db := func(url string) func(string) string {
		return func(k string) string { return map[string]string{"DATABASE_URL": url}[k] }
	}
	withEnv := db("postgres://127.0.0.1:1/x")
	loud := func(k string) string {
		return map[string]string{"DATABASE_URL": "postgres://127.0.0.1:1/x", "LOG_LEVEL": "loud"}[k]
	}
	for _, tc := range []struct {
		args []string
		env  func(string) string
		code int
		want string
	}{
		{[]string{}, withEnv, cli.ExitUsage, "--users N (N > 0) is required"},
		{[]string{"--users", "0"}, withEnv, cli.ExitUsage, "--users N (N > 0) is required"},
		{[]string{"--users", "5"}, noEnv, cli.ExitFailure, "DATABASE_URL is not set"},
		{[]string{"--users", "5", "extra"}, withEnv, cli.ExitUsage, "unexpected arguments: extra"},
		{[]string{"--bogus"}, withEnv, cli.ExitUsage, "unknown flag: --bogus"},
		{[]string{"--users", "x"}, withEnv, cli.ExitUsage, `invalid argument "x" for "--users"`},
		{[]string{"--users", "5"}, loud, cli.ExitFailure, `LOG_LEVEL="loud": want debug, info, warn or error`},
		{[]string{"--users", "5"}, db("notaurl"), cli.ExitFailure, "DATABASE_URL is not a PostgreSQL connection URL"},
		{[]string{"--users", "5"}, withEnv, cli.ExitFailure, "cannot reach the database at DATABASE_URL"},
	} {
		var out, errOut bytes.Buffer
		env := cli.Env{Args: tc.args, Stdout: &out, Stderr: &errOut, Getenv: tc.env}
		code := cli.Execute(context.Background(), newRoot(env), env)
		if code != tc.code || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("demodata %q: got exit %d, stderr %q; want exit %d and %q", tc.args, code, errOut.String(), tc.code, tc.want)
		}
	}
}

// TestRunRefusesAnUnmigratedDatabase: the error names the fix.
func TestRunRefusesAnUnmigratedDatabase(t *testing.T) {
	t.Parallel()
	url := pgtest.NewEmptyDB(t)
	var stdout, stderr bytes.Buffer
	err := run([]string{"--users", "5"}, func(k string) string { return map[string]string{"DATABASE_URL": url}[k] }, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "not migrated") || !strings.Contains(err.Error(), "worker migrate") {
		t.Errorf("got %v, want the database named not migrated and `worker migrate`", err)
	}
}

// TestHelpNeverActs: demodata --help, -h and help print the help and exit 0
// without settings, and with a database leave it as it was.
func TestHelpNeverActs(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDB(t)
	// No settings, a database that does not answer, and a real one that must stay as it was.
	for _, vars := range []map[string]string{{}, {"DATABASE_URL": "postgres://wippidu@127.0.0.1:1/nowhere"}, {"DATABASE_URL": url}} {
		clitest.CheckHelp(t, newRoot, vars)
	}
	if n := pgtest.Strings(t, pgtest.NewPool(t, url), "SELECT count(*)::text FROM users"); n[0] != "0" {
		t.Errorf("the help made %s users", n[0])
	}
}

// TestReadmeCommandBlock: the README's demodata command is the help's synopsis.
func TestReadmeCommandBlock(t *testing.T) {
	t.Parallel()
	clitest.CheckReadme(t, "demodata", cli.Synopsis(newRoot(cli.Env{})))
}
