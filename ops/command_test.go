package ops_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/wippidu/wippidu/cli"
	"github.com/wippidu/wippidu/internal/clitest"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/internal/testsalt"
	"github.com/wippidu/wippidu/ops"
)

// nowhere is a database URL nothing answers at.
const nowhere = "postgres://wippidu@127.0.0.1:1/nowhere?connect_timeout=2"

func run(vars map[string]string, args ...string) (int, string, string) {
	return clitest.Run(context.Background(), ops.NewRoot, vars, args...)
}

// untouched checks that a database has no table (help and usage errors never
// migrate it) and that dirs are empty.
func untouched(t *testing.T, dbURL string, dirs ...string) {
	t.Helper()
	tables := pgtest.Strings(t, pgtest.NewPool(t, dbURL), `SELECT relname::text FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace`)
	if len(tables) > 0 {
		t.Errorf("the database got tables %v, want none", tables)
	}
	for _, d := range dirs {
		if entries, err := os.ReadDir(d); err != nil || len(entries) > 0 {
			t.Errorf("%s holds %d entries (%v), want none", d, len(entries), err)
		}
	}
}

// TestHelpNeverActs: --help, -h and help on every command and subcommand exit 0
// with the help on stdout, with no setting at all, with a database that does not
// answer, and with a real database, which stays as it was (migrate --help does
// not migrate, export --help writes no file).
func TestHelpNeverActs(t *testing.T) {
	work, store := t.TempDir(), t.TempDir()
	t.Chdir(work)
	empty := pgtest.NewEmptyDB(t)
	for _, vars := range []map[string]string{
		{},
		{"DATABASE_URL": nowhere, "STORAGE_URL": "file://" + store},
		{"DATABASE_URL": empty, "STORAGE_URL": "file://" + store, "APP_ALLOW_PROD_IMPORT": "true", "APP_HOSTNAME": "staging.wippidu.net", "ANONYMIZER_SALT": testsalt.Salt},
	} {
		clitest.CheckHelp(t, ops.NewRoot, vars)
	}
	if n := len(clitest.HelpArgs(ops.NewRoot)); n < 40 {
		t.Errorf("only %d ways to ask for help; the command tree is missing commands", n)
	}
	untouched(t, empty, work, store)
}

// TestUsageErrorsExit2: a command line that cannot be run exits 2, says what is
// wrong and where the help is, and touches nothing.
func TestUsageErrorsExit2(t *testing.T) {
	work, store := t.TempDir(), t.TempDir()
	t.Chdir(work)
	empty := pgtest.NewEmptyDB(t)
	vars := map[string]string{"DATABASE_URL": empty, "STORAGE_URL": "file://" + store, "APP_ALLOW_PROD_IMPORT": "true",
		"APP_HOSTNAME": "staging.wippidu.net", "ANONYMIZER_SALT": testsalt.Salt}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{}, "name a command: migrate, run, export, import, jobs"},
		{[]string{"bogus"}, `unknown command "bogus" for "worker"`},
		{[]string{"--bogus"}, "unknown flag: --bogus"},
		{[]string{"migrate", "now"}, `unknown command "now" for "worker migrate"`},
		{[]string{"run", "--drain", "soon"}, `invalid argument "soon" for "--drain"`},
		{[]string{"export"}, "export needs --out FILE"},
		{[]string{"export", "--out", "x.json.gz", "extra"}, "export takes no arguments"},
		{[]string{"export", "--no-attachment", "--out", "x"}, "unknown flag: --no-attachment"},
		{[]string{"import"}, "import needs a FILE or --from-source NAME"},
		{[]string{"import", "dump.json.gz"}, "import needs --confirm-host HOST"},
		{[]string{"import", "--confirm-host", "staging.wippidu.net", "a.json.gz", "b.json.gz"}, "import takes one FILE, got 2"},
		{[]string{"import", "--confirm-host", "staging.wippidu.net", "--from-source", "n", "a.json.gz"}, "import needs a FILE or --from-source NAME"},
		{[]string{"import", "--list-source", "a.json.gz"}, "import --list-source takes no FILE"},
		{[]string{"import", "--confirm-host", "staging.wippidu.net", "--keep", "mails", "a.json.gz"}, `unknown anonymizer "mails"`},
		{[]string{"jobs"}, "jobs needs a command: list, retry, cancel"},
		{[]string{"jobs", "lst"}, `unknown command "lst" for "worker jobs"`},
		{[]string{"jobs", "retry"}, "jobs retry needs one ID"},
		{[]string{"jobs", "cancel", "#2"}, `job ID "#2" is not a number`},
		{[]string{"jobs", "list", "--all"}, "unknown flag: --all"},
		{[]string{"completion", "tcsh"}, `unknown command "tcsh"`},
	} {
		code, stdout, stderr := run(vars, tc.args...)
		if code != cli.ExitUsage || !strings.Contains(stderr, tc.want) || stdout != "" ||
			!(strings.Contains(stderr, "--help' for usage") || strings.Contains(stderr, "Usage:")) {
			t.Errorf("worker %q: got exit %d, stdout %q, stderr %q; want exit 2, %q and where the help is", tc.args, code, stdout, stderr, tc.want)
		}
	}
	untouched(t, empty, work, store)
}

// TestErrorsNameTheFix: a database that is not migrated, one that does not
// answer, a DATABASE_URL that is no URL: each command says which setting is wrong
// or what to run, and exits 1.
func TestErrorsNameTheFix(t *testing.T) {
	t.Chdir(t.TempDir())
	staging := func(db string) map[string]string {
		return map[string]string{"DATABASE_URL": db, "STORAGE_URL": "file://" + t.TempDir(), "APP_ALLOW_PROD_IMPORT": "true",
			"APP_HOSTNAME": "staging.wippidu.net", "ANONYMIZER_SALT": testsalt.Salt, "SOURCE_STORAGE_URL": "file://" + t.TempDir()}
	}
	empty := pgtest.NewEmptyDB(t)
	commands := [][]string{
		{"export", "--out", "."},
		{"import", "--confirm-host", "staging.wippidu.net", "dump.json.gz"},
		{"import", "--list-source"},
		{"jobs", "list"},
		{"jobs", "retry", "1"},
	}
	for _, args := range commands {
		code, _, stderr := run(staging(empty), args...)
		if code != cli.ExitFailure || !strings.Contains(stderr, "the database is not migrated: it has no wippidu schema") ||
			!strings.Contains(stderr, "Run `worker migrate`") {
			t.Errorf("worker %q on an empty database: got exit %d, stderr %q; want exit 1 and `worker migrate`", args, code, stderr)
		}
	}
	for _, tc := range []struct {
		db, want string
	}{
		{nowhere, "cannot reach the database at DATABASE_URL"},
		{"notaurl", "DATABASE_URL is not a PostgreSQL connection URL such as postgres://"},
		{"", "DATABASE_URL is required"},
	} {
		for _, args := range append(commands, []string{"migrate"}, []string{"run"}) {
			code, _, stderr := run(staging(tc.db), args...)
			if code != cli.ExitFailure || !strings.Contains(stderr, tc.want) {
				t.Errorf("worker %q with DATABASE_URL=%q: got exit %d, stderr %q; want exit 1 and %q", args, tc.db, code, stderr, tc.want)
			}
		}
	}
	untouched(t, empty)
}

// TestReadmeCommandBlock: the README's worker commands are the help's synopsis.
func TestReadmeCommandBlock(t *testing.T) {
	t.Parallel()
	clitest.CheckReadme(t, "worker", cli.Synopsis(ops.NewRoot(cli.Env{})))
}

// TestCompletion: the shells' scripts, and what they complete: commands,
// anonymizer keys after --keep, dump files for import.
func TestCompletion(t *testing.T) {
	t.Parallel()
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		if code, stdout, stderr := run(nil, "completion", shell); code != 0 || !strings.Contains(stdout, "worker") || stderr != "" {
			t.Errorf("completion %s: exit %d, stderr %q", shell, code, stderr)
		}
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", ""}, []string{"migrate", "run", "export", "import", "jobs"}},
		{[]string{"__complete", "jobs", ""}, []string{"list", "retry", "cancel"}},
		{[]string{"__complete", "import", "--keep", "emails,n"}, []string{"emails,names"}},
		{[]string{"__complete", "import", "--keep", ""}, []string{"emails", "birth_dates"}},
		{[]string{"__complete", "import", "--confirm-host", "staging.wippidu.net", ""}, []string{"gz", "age"}},
	} {
		code, stdout, _ := run(nil, tc.args...)
		for _, w := range tc.want {
			if code != 0 || !strings.Contains(stdout, w+"\n") && !strings.Contains(stdout, w+"\t") {
				t.Errorf("%q: got exit %d, %q; want %q among the completions", tc.args, code, stdout, w)
			}
		}
	}
}
