package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"

	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/config"
	"github.com/wippidu/wippidu/dump"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/internal/testsalt"
	"github.com/wippidu/wippidu/internal/webclient"
	"github.com/wippidu/wippidu/storage/file"
	"github.com/wippidu/wippidu/web"
	"github.com/wippidu/wippidu/worker"
)

// live is a web tier serving real HTTP (web.Main, as cmd/web runs it) on a
// staging instance of its own.
type live struct {
	t        *testing.T
	vars     map[string]string // the instance's whole configuration
	cfg      config.Config
	pool     *pgxpool.Pool
	store    *file.Store
	storeDir string
	addr     string
}

var liveSalt = testsalt.Salt

// startLive starts the web tier; opts may change its environment.
func startLive(t *testing.T, logger *slog.Logger, opts ...func(vars map[string]string)) *live {
	t.Helper()
	l := &live{t: t, storeDir: t.TempDir()}
	l.vars = map[string]string{
		"STORAGE_URL": "file://" + l.storeDir, "LISTEN_ADDR": "127.0.0.1:0",
		"APP_HOSTNAME": stagingHost, "APP_ALLOW_PROD_IMPORT": "true", "ANONYMIZER_SALT": liveSalt,
		"SESSION_SECRET": sessionSecret, "SECURE_COOKIES": "false", "LOGIN_ATTEMPTS_PER_MINUTE": "10000",
	}
	for _, o := range opts {
		o(l.vars)
	}
	// An option may give the database of another live instance: two replicas.
	if l.vars["DATABASE_URL"] == "" {
		l.vars["DATABASE_URL"] = pgtest.NewDB(t)
	}
	l.pool = pgtest.NewPool(t, l.vars["DATABASE_URL"])
	var err error
	if l.cfg, err = config.Parse(func(k string) string { return l.vars[k] }); err != nil {
		t.Fatal(err)
	}
	if l.store, err = file.New(l.storeDir); err != nil {
		t.Fatal(err)
	}
	m := web.NewMain(l.cfg, logger, dump.CheckUpload)
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	l.addr = strings.TrimPrefix(m.URL(), "http://")
	return l
}

// addAdmin adds an admin with testPassword and returns the stored bcrypt hash.
func (l *live) addAdmin(email string) string {
	l.t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		l.t.Fatal(err)
	}
	if _, err := l.pool.Exec(context.Background(), `INSERT INTO users (email, first_name, last_name, password_hash, role)
		VALUES ($1, 'Test', 'Admin', $2, 'admin')`, email, string(hash)); err != nil {
		l.t.Fatal(err)
	}
	return string(hash)
}

// login returns a client logged in as email.
func (l *live) login(email string) *webclient.Client {
	l.t.Helper()
	c := webclient.New(l.addr, stagingHost)
	if err := c.Login(context.Background(), email, testPassword); err != nil {
		l.t.Fatalf("login %s: %v", email, err)
	}
	return c
}

// count runs a query that counts something.
func (l *live) count(query string) int {
	l.t.Helper()
	var n int
	if err := l.pool.QueryRow(context.Background(), query).Scan(&n); err != nil {
		l.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// work runs the job queues in this process until the test ends.
func (l *live) work(logger *slog.Logger) {
	l.t.Helper()
	deps := &worker.Deps{Pool: l.pool, Storage: l.store, Config: l.cfg, Policy: anonymizer.DefaultPolicy(), Logger: logger}
	client, err := worker.NewClient(deps, worker.ClientOptions{Queues: worker.DefaultQueues(1)})
	if err != nil {
		l.t.Fatal(err)
	}
	if err := client.Start(context.Background()); err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = client.StopAndCancel(ctx)
	})
}

// syncBuffer is a bytes.Buffer that several goroutines may write.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var _ io.Writer = (*syncBuffer)(nil)
