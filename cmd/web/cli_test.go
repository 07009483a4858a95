package main

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/wippidu/wippidu/cli"
	"github.com/wippidu/wippidu/internal/clitest"
	"github.com/wippidu/wippidu/internal/pgtest"
)

// freeAddr is a local address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestHelpNeverActs: web --help, -h and help (and its subcommands') print the help
// and exit 0, without settings or with every setting a start needs: the web tier
// neither listens nor touches the database.
func TestHelpNeverActs(t *testing.T) {
	t.Parallel()
	empty, addr := pgtest.NewEmptyDB(t), freeAddr(t)
	for _, vars := range []map[string]string{
		{},
		{"DATABASE_URL": "postgres://wippidu@127.0.0.1:1/nowhere", "LISTEN_ADDR": addr, "SESSION_SECRET": strings.Repeat("s", 32), "STORAGE_URL": "file://" + t.TempDir()},
		{"DATABASE_URL": empty, "LISTEN_ADDR": addr, "SESSION_SECRET": strings.Repeat("s", 32), "STORAGE_URL": "file://" + t.TempDir()},
	} {
		clitest.CheckHelp(t, newRoot, vars)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Errorf("LISTEN_ADDR %s was taken by the help: %v", addr, err)
	} else {
		l.Close()
	}
	if tables := pgtest.Strings(t, pgtest.NewPool(t, empty), `SELECT relname::text FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace`); len(tables) > 0 {
		t.Errorf("the database got tables %v", tables)
	}
}

// TestStartFailsFast: the web tier does not start on a database it cannot reach
// or that is not migrated, nor with arguments, and says which and what to do.
func TestStartFailsFast(t *testing.T) {
	t.Parallel()
	vars := func(db string) map[string]string {
		return map[string]string{"DATABASE_URL": db, "LISTEN_ADDR": freeAddr(t), "SESSION_SECRET": strings.Repeat("s", 32),
			"STORAGE_URL": "file://" + t.TempDir()}
	}
	for _, tc := range []struct {
		vars map[string]string
		args []string
		code int
		want string
	}{
		{vars("postgres://wippidu@127.0.0.1:1/nowhere"), nil, cli.ExitFailure, "cannot reach the database at DATABASE_URL"},
		{vars("notaurl"), nil, cli.ExitFailure, "DATABASE_URL is not a PostgreSQL connection URL"},
		{vars(pgtest.NewEmptyDB(t)), nil, cli.ExitFailure, "the database is not migrated: it has no wippidu schema; River's tables lack migrations"},
		{vars(pgtest.NewEmptyDB(t)), nil, cli.ExitFailure, "Run `worker migrate` with the same DATABASE_URL"},
		{vars(""), nil, cli.ExitFailure, "DATABASE_URL is required"},
		{vars("postgres://wippidu@127.0.0.1:1/nowhere"), []string{"serve"}, cli.ExitUsage, `unknown command "serve" for "web"`},
		{vars("postgres://wippidu@127.0.0.1:1/nowhere"), []string{"--port", "80"}, cli.ExitUsage, "unknown flag: --port"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		start := time.Now()
		code, _, stderr := clitest.Run(ctx, newRoot, tc.vars, tc.args...)
		cancel()
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("web %q with DATABASE_URL=%q: got exit %d, stderr %q; want exit %d and %q", tc.args, tc.vars["DATABASE_URL"], code, stderr, tc.code, tc.want)
		}
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("web %q took %s to give up", tc.args, d)
		}
	}
}

// TestReadmeCommandBlock: the README's web command is the help's synopsis.
func TestReadmeCommandBlock(t *testing.T) {
	t.Parallel()
	clitest.CheckReadme(t, "web", cli.Synopsis(newRoot(cli.Env{})))
}
