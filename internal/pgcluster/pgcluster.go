// Package pgcluster starts a private PostgreSQL cluster from the machine's PostgreSQL
// binaries, for tests, benchmarks and the demo when no server is given.
package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Config configures a private cluster.
type Config struct {
	// Dir holds the data directory and the socket; it is created if missing.
	Dir string
	// Port to listen on (127.0.0.1); 0 picks a free one.
	Port int
	// Durable keeps fsync on; tests and the demo run faster without it.
	Durable bool
	// Settings are extra postgresql.conf settings.
	Settings map[string]string
}

// Cluster is a running private PostgreSQL server.
type Cluster struct {
	cfg     Config
	bin     string
	dataDir string
	port    int
	cred    *syscall.Credential
}

// BinDir finds the directory of the PostgreSQL server binaries: $PG_BINDIR, then
// `pg_config --bindir`, then the newest /usr/lib/postgresql/*/bin.
func BinDir() (string, error) {
	if d := os.Getenv("PG_BINDIR"); d != "" {
		return d, nil
	}
	candidates, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(candidates, func(i, j int) bool { return versionOf(candidates[i]) > versionOf(candidates[j]) })
	for _, c := range candidates {
		if _, err := os.Stat(filepath.Join(c, "initdb")); err == nil {
			return c, nil
		}
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		d := strings.TrimSpace(string(out))
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("no PostgreSQL server binaries found (initdb); install PostgreSQL or set PG_BINDIR")
}

func versionOf(dir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return v
}

// Start initialises (if needed) and starts a cluster. PostgreSQL refuses to run as
// root, so as root the server runs as the "postgres" (or "nobody") system user.
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	c := &Cluster{cfg: cfg, bin: bin, dataDir: filepath.Join(cfg.Dir, "data"), port: cfg.Port}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("create cluster dir: %w", err)
	}
	if os.Geteuid() == 0 {
		if c.cred, err = unprivilegedUser(); err != nil {
			return nil, err
		}
		if err := os.Chown(cfg.Dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return nil, fmt.Errorf("chown cluster dir: %w", err)
		}
		// The server must be able to reach its directory through every parent.
		for d := filepath.Dir(cfg.Dir); d != "/" && d != "."; d = filepath.Dir(d) {
			if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o001 == 0 {
				_ = os.Chmod(d, fi.Mode().Perm()|0o011)
			}
		}
	}
	if c.port == 0 {
		if c.port, err = freePort(); err != nil {
			return nil, err
		}
	}
	if _, err := os.Stat(filepath.Join(c.dataDir, "PG_VERSION")); err != nil {
		if err := c.run(ctx, "initdb", "-D", c.dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
			return nil, err
		}
	}
	opts := []string{
		"-c listen_addresses=127.0.0.1",
		"-c port=" + strconv.Itoa(c.port),
		"-c unix_socket_directories=" + cfg.Dir,
		"-c max_connections=200",
		"-c shared_buffers=256MB",
		"-c max_wal_size=4GB",
		"-c timezone=UTC",
	}
	if !cfg.Durable {
		opts = append(opts, "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off")
	}
	keys := make([]string, 0, len(cfg.Settings))
	for k := range cfg.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		opts = append(opts, "-c "+k+"="+cfg.Settings[k])
	}
	logFile := filepath.Join(cfg.Dir, "postgres.log")
	if err := c.run(ctx, "pg_ctl", "-D", c.dataDir, "-l", logFile, "-w", "-t", "60", "-o", strings.Join(opts, " "), "start"); err != nil {
		log, _ := os.ReadFile(logFile)
		return nil, fmt.Errorf("%w\n%s", err, tail(string(log), 2000))
	}
	return c, nil
}

// URL returns a connection URL for the given database.
func (c *Cluster) URL(database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, database)
}

// Port returns the TCP port the server listens on.
func (c *Cluster) Port() int { return c.port }

// BinDir returns the directory of the server's binaries (pg_dump, pg_restore, …).
func (c *Cluster) BinDir() string { return c.bin }

// Stop shuts the server down (fast mode: open sessions are rolled back).
func (c *Cluster) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return c.stop(ctx)
}

// stop stops the server as `pg_ctl stop -m fast` does and returns once its
// postmaster has exited: pg_ctl returns when the postmaster.pid file is gone,
// which the postmaster removes a moment before it ends.
func (c *Cluster) stop(ctx context.Context) error {
	pid := postmasterPID(c.dataDir)
	if err := c.run(ctx, "pg_ctl", "-D", c.dataDir, "-m", "fast", "-w", "stop"); err != nil {
		return err
	}
	for pid > 0 && running(pid) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("the postmaster (pid %d) still runs after pg_ctl stop: %w", pid, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// postmasterPID reads the postmaster's process id from the first line of
// postmaster.pid, or returns 0.
func postmasterPID(dataDir string) int {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return 0
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, _ := strconv.Atoi(strings.TrimSpace(first))
	return pid
}

// running reports whether process pid exists and has not exited (a zombie
// waiting for its parent has).
func running(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return !os.IsNotExist(err)
	}
	// The state follows the command name, which is in parentheses.
	if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
}

// Restart restarts the server as `pg_ctl restart -m fast` does (open sessions are
// rolled back and dropped), with the options it was started with, and returns
// once it accepts connections again.
func (c *Cluster) Restart(ctx context.Context) error {
	return c.run(ctx, "pg_ctl", "-D", c.dataDir, "-l", filepath.Join(c.cfg.Dir, "postgres.log"), "-m", "fast", "-w", "-t", "60", "restart")
}

// CreateDatabase creates a database, optionally from a template. It copies the
// template's files (STRATEGY FILE_COPY) instead of writing every block of a small
// template through the WAL, which cost PostgreSQL three times the CPU per database.
func CreateDatabase(ctx context.Context, adminURL, name, template string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(ctx)
	sql := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if template != "" {
		sql += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	sql += " STRATEGY FILE_COPY"
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("create database %q: %w", name, err)
	}
	return nil
}

// DropDatabase drops a database, terminating its sessions first.
func DropDatabase(ctx context.Context, adminURL, name string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %q: %w", name, err)
	}
	return nil
}

func (c *Cluster) run(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, name), args...)
	cmd.Dir = c.cfg.Dir
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	// pg_ctl's server must not die with our process group on Ctrl-C; it is stopped
	// explicitly.
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, tail(string(out), 2000))
	}
	return nil
}

func unprivilegedUser() (*syscall.Credential, error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("running as root, but neither a postgres nor a nobody user exists to run PostgreSQL as")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// StopDir stops the cluster whose Config.Dir is dir, if it runs.
func StopDir(ctx context.Context, dir string) error {
	bin, err := BinDir()
	if err != nil {
		return err
	}
	c := &Cluster{cfg: Config{Dir: dir}, bin: bin, dataDir: filepath.Join(dir, "data")}
	if os.Geteuid() == 0 {
		if c.cred, err = unprivilegedUser(); err != nil {
			return err
		}
	}
	if _, err := os.Stat(filepath.Join(c.dataDir, "postmaster.pid")); err != nil {
		return nil // not running
	}
	return c.stop(ctx)
}
